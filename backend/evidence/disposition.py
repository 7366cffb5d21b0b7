"""A Content-Disposition header that no filename can break or turn into a path."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

_UNSAFE = str.maketrans({'"': "_", "\\": "_", "/": "_", "\r": "_", "\n": "_", ";": "_"})


def attachment(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    name = _clean(filename)
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(c if c.isprintable() else "_" for c in fallback).strip(" .") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _clean(filename: str) -> str:
    """Drop control characters and anything that reads as a path or ends the header value."""
    name = "".join(c for c in filename.translate(_UNSAFE) if unicodedata.category(c)[0] != "C")
    return name.strip(" .") or "download"
