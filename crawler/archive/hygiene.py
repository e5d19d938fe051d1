"""The one gate for characters: what the archive will not write, removed from every text field.

East Money's pages and lists are third-party input, and a post is a file, a YAML document and a
public web page. Lone surrogates cannot be written as UTF-8 at all; NUL and the other C0/C1
controls, bidi overrides and isolates (U+202E turns a title or a file name around), zero-width
and other invisible characters (a title of U+200B looks empty), U+FFFD (what a decoder made of
bytes it could not read) and non-characters carry nothing a reader should see. They are
removed before validation (pipelines/validate.py); what is left must still have a visible
character where one is needed (a title, a media name, a paragraph).
"""

import re
from collections.abc import MutableMapping

_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufeff\uffa0\ufff9-\ufffb\ufffd\ufffe\uffff"
    "\ud800-\udfff\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)  # also the blank-looking fillers (Hangul, braille blank) and tag characters
_BLANK_RE = re.compile(r"[\s\u3000]+")
_TAG_RE = re.compile(r"<[^<>]*>")  # not [^>]*: a run of "<" alone would make it quadratic
_CONTENT_TAG_RE = re.compile(r"<(?:img|table)\b")
LINE_FIELDS = ("title", "source", "summary")  # one-line texts
BLOCK_FIELDS = ("paragraphs",)  # lists of HTML blocks
SECURITY_FIELDS = ("stocks", "boards")  # lists of {"secid", "code", "name"}: a name is a one-line text


def clean_line(text: str) -> str:
    """`text` without invisible characters, on one line with single spaces."""
    return _BLANK_RE.sub(" ", _INVISIBLE_RE.sub("", text)).strip()


def clean_block(html: str) -> str:
    """An HTML block without invisible characters (none of them is markup, so the markup stays)."""
    return _INVISIBLE_RE.sub("", html)


def has_visible(text: str) -> bool:
    """Whether `text` has a character a reader sees."""
    return any(not ch.isspace() and ch.isprintable() for ch in text)


def block_has_content(html: str) -> bool:
    """Whether a block shows anything: visible text, an image or a table."""
    return bool(_CONTENT_TAG_RE.search(html)) or has_visible(_TAG_RE.sub("", html).replace("&nbsp;", " "))


def clean_item(item: MutableMapping) -> None:
    """Clean the item's text fields in place; blocks left without content are dropped."""
    for name in LINE_FIELDS:
        if isinstance(item.get(name), str):
            item[name] = clean_line(item[name])
    for name in BLOCK_FIELDS:
        blocks = item.get(name)
        if isinstance(blocks, list | tuple):
            item[name] = [clean_block(b) for b in blocks if isinstance(b, str) and block_has_content(clean_block(b))]
    for name in SECURITY_FIELDS:
        for security in item.get(name) if isinstance(item.get(name), list) else ():
            if isinstance(security, dict) and isinstance(security.get("name"), str):
                security["name"] = clean_line(security["name"])
