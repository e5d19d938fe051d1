"""East Money article ids (docs/eastmoney.md §1): finding them in URLs, infoCodes, canonical URLs.

The one place for these rules: parsers, the archive's feeds and the settings' default
article URL all use them.
"""

import re

# Whole-string patterns (use fullmatch): ASCII digits only, no trailing newline.
ID_RE = re.compile(r"[0-9]{17,18}")  # yyyymmdd + a sequence number: 17 digits until 2018, 18 since 2019
INFO_CODE_RE = re.compile(r"NW[0-9]{17,18}")  # "NW" + id: how East Money's other services name an article
# /a/<id>.html on any host, the old /news/<column>,<id>.html, and emwap detail pages.
_URL_ID_RE = re.compile(r"(?:/a/|/news/[0-9]+,|/detail/)([0-9]{17,18})(?:\.html)?(?:[?#]|\Z)")

CANONICAL_ARTICLE_URL = "https://finance.eastmoney.com/a/{id}.html"  # what posts cite, whatever was fetched


def article_id_from_url(url: str) -> str | None:
    """The 17-18 digit id an article URL carries, or None."""
    match = _URL_ID_RE.search(url or "")
    return match.group(1) if match else None


def canonical_url(article_id: str) -> str:
    return CANONICAL_ARTICLE_URL.format(id=article_id)


def info_code(article_id: str) -> str:
    return "NW" + article_id
