"""East Money article ids: find them in any URL form, build canonical URLs and infoCodes."""

import re

ID_RE = re.compile(r"^\d{17,18}$")
# /a/<id>.html on any host, the old /news/<column>,<id>.html, and emwap detail pages.
_URL_ID_RE = re.compile(r"(?:/a/|/news/\d+,|/detail/)(\d{17,18})(?:\.html)?(?:[?#]|$)")

CANONICAL_ARTICLE_URL = "https://finance.eastmoney.com/a/{id}.html"


def article_id_from_url(url: str) -> str | None:
    """The 17-18 digit id an article URL carries, or None."""
    match = _URL_ID_RE.search(url or "")
    return match.group(1) if match else None


def canonical_url(article_id: str) -> str:
    return CANONICAL_ARTICLE_URL.format(id=article_id)


def info_code(article_id: str) -> str:
    return "NW" + article_id
