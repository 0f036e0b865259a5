"""dbt docs: generate the catalogue (every mart and column described) and serve it locally."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


def generate(target_path: Path | None = None) -> Path:
    """The same `dbt docs generate` the nightly build runs, into the same folder. Returns index.html."""
    from frisk.dbt_runner import generate_docs

    return generate_docs(target_path=target_path)


def serve(port: int = 8081, target_path: Path | None = None) -> None:
    """Serve the generated docs (a static site) on localhost until interrupted."""
    from frisk.dbt_runner import default_target_path

    folder = target_path or default_target_path()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"dbt docs on http://localhost:{port}/index.html (Ctrl-C stops)")
        server.serve_forever()
