"""Warehouse maintenance: retention of person-level history and the privacy scan."""
