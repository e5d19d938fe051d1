"""Plain-text clean-up shared by the parsers: one line, single spaces, no control characters."""

import re

_SPACE_RE = re.compile(r"[\s\u3000\xa0]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")  # U+FFFD: what parsers make of NUL


def clean_text(value: object) -> str:
    """`value` (any type) as a single-spaced, stripped line; "" for non-strings."""
    if not isinstance(value, str):
        return ""
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", value)).strip()
