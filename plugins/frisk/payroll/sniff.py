"""File-level checks before any row is read: is this a text file, in which encoding, which dialect and entity.

Everything that makes a whole file unreadable is found here (or, for a truncated last line, at the end of
parsing) and raised as `FileRejected` naming what is wrong and where. The scan reads the file once in 1 MiB
chunks, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

from frisk.identity import looks_like_personnummer, mask_personnummer, validate_org_number
from frisk.loading import FileInfo, FileRejected
from frisk.payroll.dialects import Dialect, HeaderMatch, load_dialects

CHUNK = 1 << 20
MAX_LINE_BYTES = 1 << 20  # a payroll row is a few hundred bytes; a "line" of a megabyte is not a CSV row
BOM = codecs.BOM_UTF8
# Control characters a text export never holds (tab, CR, LF are fine). cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D
# undefined, so those bytes outside valid UTF-8 mean "not text" too.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # what _BINARY matches
_MAGIC = {b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)", b"%PDF": "a PDF document",
          b"\xd0\xcf\x11\xe0": "an old Office document (.xls?)", b"\x1f\x8b": "a gzip archive"}
_OTHER_DELIMITERS = (",", ";", "\t", "|")


class ScanResult:
    __slots__ = ("encoding", "ends_with_newline", "size")

    def __init__(self, encoding: str, ends_with_newline: bool, size: int) -> None:
        self.encoding, self.ends_with_newline, self.size = encoding, ends_with_newline, size


def _where(line: int, offset: int) -> str:
    return f"line {line} (byte offset {offset})"


def scan(path: Path) -> ScanResult:
    """Detect the encoding (UTF-8 with/without BOM, else Windows-1252) and refuse binary or runaway lines."""
    with path.open("rb") as f:
        head = f.read(CHUNK)
        for magic, what in _MAGIC.items():
            if head.startswith(magic):
                raise FileRejected(f"line 1: not a text file: it is {what}; deliver the export as CSV text")
        has_bom = head.startswith(BOM)
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8_ok, saw_multibyte = True, False
        cp1252_bad: tuple[int, int] | None = None  # (line, offset) of the first byte cp1252 cannot decode
        line, offset, since_newline = 1, 0, 0
        last = b""
        chunk = head
        while chunk:
            # translate() deletes the control bytes at memory speed; the regex, 4x slower, only runs to say where
            m = _BINARY.search(chunk) if len(chunk.translate(None, _CONTROL_BYTES)) != len(chunk) else None
            if m:
                at = m.start()
                where = _where(line + chunk.count(b"\n", 0, at), offset + at)
                raise FileRejected(f"{where}: not a text file (control byte 0x{chunk[at]:02x})")
            first_nl = chunk.find(b"\n")
            if (since_newline + (first_nl if first_nl >= 0 else len(chunk))) > MAX_LINE_BYTES:
                raise FileRejected(f"line {line}: longer than {MAX_LINE_BYTES} bytes; not a line of a CSV export "
                                   "(wrong line endings or not a CSV file?)")
            if utf8_ok:
                try:
                    text = decoder.decode(chunk)
                    saw_multibyte = saw_multibyte or not text.isascii()
                except UnicodeDecodeError as exc:
                    utf8_ok = False
                    at = exc.start
                    bad_where = _where(line + chunk.count(b"\n", 0, max(at, 0)), offset + max(at, 0))
                    if has_bom:
                        raise FileRejected(f"{bad_where}: the file starts with a UTF-8 byte order mark "
                                           "but holds bytes that are not UTF-8 (mixed encodings)") from None
                    if saw_multibyte or not chunk[: max(at, 0)].isascii():
                        raise FileRejected(f"{bad_where}: mixed encodings: UTF-8 text before this point, "
                                           "then bytes that are not UTF-8") from None
            if cp1252_bad is None and not chunk.isascii():  # the undefined bytes are all above 0x7f
                m = _CP1252_UNDEFINED.search(chunk)
                if m:
                    cp1252_bad = (line + chunk.count(b"\n", 0, m.start()), offset + m.start())
            nl = chunk.count(b"\n")
            line += nl
            since_newline = len(chunk) - chunk.rfind(b"\n") - 1 if nl else since_newline + len(chunk)
            offset += len(chunk)
            last = chunk
            chunk = f.read(CHUNK)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRejected(f"line {line}: truncated: the file ends in the middle of a UTF-8 character") from None
        encoding = "utf-8-sig" if has_bom else "utf-8"
    else:
        if cp1252_bad is not None:
            raise FileRejected(f"{_where(*cp1252_bad)}: not a text file: neither UTF-8 nor Windows-1252")
        encoding = "cp1252"
    return ScanResult(encoding, last.endswith((b"\n", b"\r")), offset)


def _header_cells(first_line: str, delimiter: str, quotechar: str) -> list[str]:
    return next(csv.reader([first_line], delimiter=delimiter, quotechar=quotechar), [])


def _org_from_file_name(path: Path, dialect: Dialect, entity: str) -> str:
    pattern = dialect.org_patterns[entity]
    m = pattern.match(path.name)
    if not m:
        raise FileRejected(f"file name: dialect {dialect.name} ({entity}) takes the employer's organisation number "
                           f"from the file name, which must match {pattern.pattern}")
    try:
        return validate_org_number(m["org"])
    except ValueError as exc:
        raise FileRejected(f"file name: the organisation number in the file name is not valid: {exc}") from None


def _unrecognised(cells: list[str], dialects: tuple[Dialect, ...]) -> FileRejected:
    if looks_like_personnummer(";".join(cells)):
        return FileRejected("line 1: header not recognised: the first line holds a personnummer, so the header "
                            "row is missing")
    best = None
    for d in dialects:
        for entity in d.entities:
            missing, unexpected, _, _ = d.compare(entity, cells)
            score = len(missing) + len(unexpected)
            if best is None or score < best[0]:
                best = (score, d, entity, missing, unexpected)
    _, d, entity, missing, unexpected = best
    known = ", ".join(f"{x.name} ({'/'.join(x.entities)})" for x in dialects)
    return FileRejected(mask_personnummer(
        f"line 1: header not recognised (known dialects: {known}). Closest: {d.name} {entity}: "
        f"missing columns {missing or 'none'}; unexpected columns {unexpected or 'none'}"
    ))


def detect(path: Path, first_line: str) -> tuple[Dialect, HeaderMatch]:
    """The dialect and entity whose header is `first_line`, or FileRejected saying why none is."""
    dialects = load_dialects()
    for d in dialects:
        found = d.match(_header_cells(first_line, d.delimiter, d.quotechar))
        if found:
            return d, found
    # Same names, other separator: say so rather than "unknown header".
    for d in dialects:
        for other in _OTHER_DELIMITERS:
            if other == d.delimiter:
                continue
            cells = _header_cells(first_line, other, d.quotechar)
            if len(cells) > 1 and d.match(cells):
                raise FileRejected(f"line 1: wrong delimiter: the header is separated by {other!r}, but dialect "
                                   f"{d.name} expects {d.delimiter!r}")
    longest = max(dialects, key=lambda x: len(_header_cells(first_line, x.delimiter, x.quotechar)))
    raise _unrecognised(_header_cells(first_line, longest.delimiter, longest.quotechar), dialects)


def sniff(path: Path) -> FileInfo:
    """Scan the file and read its header: FileInfo with the dialect, entity, encoding and (when known) employer."""
    result = scan(path)
    with path.open(encoding=result.encoding, newline="") as f:
        first_line = f.readline()
    if not first_line.strip():
        raise FileRejected("line 1: empty file: no header row" if result.size <= len(BOM)
                           else "line 1: the first line is blank; expected the header row")
    dialect, header = detect(path, first_line)
    org = _org_from_file_name(path, dialect, header.entity) if dialect.org_from == "file_name" else None
    return FileInfo(
        entity=header.entity,
        dialect=dialect.name,
        delivery_key=path.name,
        employer_org_number=org,
        extra={"dialect": dialect, "header": header, "encoding": result.encoding,
               "ends_with_newline": result.ends_with_newline},
    )
