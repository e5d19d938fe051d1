"""Category lists -> ListPage: the getNewsByColumns JSON API and server-rendered HTML pages."""

import json
import re
from datetime import datetime, time
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from crawler.ids import ID_RE, article_id_from_url
from crawler.items import SHANGHAI, ListEntry, ListPage
from crawler.parsers.dates import parse_datetime
from crawler.parsers.errors import ParseError
from crawler.parsers.selectors import (
    ITEM_INFO_XPATH,
    ITEM_LINK_XPATHS,
    ITEM_TIME_XPATH,
    LIST_ITEMS_XPATH,
    LIST_XPATH,
    NEXT_PAGE_XPATH,
)
from crawler.parsers.text import clean_text

_JSONP_RE = re.compile(r"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.S)


def parse_list_api(text: str | bytes, url: str = "") -> ListPage:
    """Parse one getNewsByColumns answer (JSON or JSONP)."""
    data = _api_data(text, url)
    raw_entries = data.get("list") if isinstance(data.get("list"), list) else []
    entries, rejected = [], []
    for raw in raw_entries:
        if not isinstance(raw, dict):
            rejected.append("bad_entry")
            continue
        kind = clean_text(raw.get("np_dst") or raw.get("Np_dst")) or "CMS"
        if kind != "CMS":  # 财富号 (CFH) and other feeds are not East Money news articles
            rejected.append("not_cms")
            continue
        code = clean_text(raw.get("code"))
        article_id = (
            code
            if ID_RE.match(code)
            else article_id_from_url(clean_text(raw.get("uniqueUrl")) or clean_text(raw.get("url")))
        )
        if not article_id:
            rejected.append("bad_id")
            continue
        entries.append(
            ListEntry(
                article_id=article_id,
                title=clean_text(raw.get("title")),
                published_at=parse_datetime(clean_text(raw.get("showTime"))),
                source=clean_text(raw.get("mediaName")),
                summary=clean_text(raw.get("summary")),
            )
        )
    entries, duplicates = _unique(entries)
    return ListPage(
        entries=entries,
        rejected=rejected + ["duplicate"] * duplicates,
        total=_int(data.get("totle_hits", data.get("total_hits"))),
        page_size=_int(data.get("page_size")),
    )


def parse_fast_list(text: str | bytes, url: str = "") -> ListPage:
    """Parse one getFastNewsList answer (the 7x24 rolling feed); `cursor` is the next page's sortEnd.

    Entries keep an empty title or time as they come: the spider drops those with a reason.
    """
    data = _api_data(text, url)
    raw_entries = data.get("fastNewsList") if isinstance(data.get("fastNewsList"), list) else []
    entries, rejected = [], []
    for raw in raw_entries:
        if not isinstance(raw, dict):
            rejected.append("bad_entry")
            continue
        code = clean_text(str(raw.get("code", "")))
        if not ID_RE.match(code):
            rejected.append("bad_id")
            continue
        entries.append(
            ListEntry(
                article_id=code,
                title=clean_text(raw.get("title")),
                published_at=_fast_time(raw.get("showTime")),
                summary=clean_text(raw.get("summary")),
            )
        )
    entries, duplicates = _unique(entries)
    sorts = [raw["realSort"] for raw in raw_entries if isinstance(raw, dict) and raw.get("realSort")]
    cursor = clean_text(str(data.get("sortEnd") or (sorts[-1] if sorts else ""))) or None
    return ListPage(entries=entries, rejected=rejected + ["duplicate"] * duplicates, cursor=cursor)


def _api_data(text: str | bytes, url: str) -> dict:
    """The `data` object of an East Money list API answer (JSON or JSONP) whose code is 1."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    match = _JSONP_RE.match(text)
    try:
        answer = json.loads(match.group(1) if match else text)
    except ValueError as exc:
        raise ParseError("bad_json", f"{url}: {exc}") from None
    if not isinstance(answer, dict):
        raise ParseError("bad_json", f"{url}: not an object")
    if str(answer.get("code")) != "1":
        raise ParseError("api_error", f"{url}: code={answer.get('code')!r} {answer.get('message', '')}")
    data = answer.get("data")
    return data if isinstance(data, dict) else {}


def _fast_time(value) -> datetime | None:
    """showTime as "YYYY-MM-DD HH:MM:SS", or as a Unix timestamp in seconds or milliseconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, SHANGHAI)
    return parse_datetime(clean_text(value))


def parse_list_html(html: str | bytes, url: str, now: datetime | None = None) -> ListPage:
    """Parse a server-rendered category page (ul#newsListContent > li) and its 下一页 link."""
    try:
        doc = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError("empty_page", f"{url}: {exc}") from None
    items = doc.xpath(LIST_ITEMS_XPATH)
    if not doc.xpath(LIST_XPATH):
        raise ParseError("no_list", url)
    entries, rejected = [], []
    for li in items:
        links = li.xpath(ITEM_LINK_XPATHS[0]) or li.xpath(ITEM_LINK_XPATHS[1])
        article_id = article_id_from_url(urljoin(url, links[0].get("href"))) if links else None
        if not article_id:
            rejected.append("bad_id")
            continue
        info = li.xpath(ITEM_INFO_XPATH)
        summary = (info[0].get("title") or info[0].text_content()) if info else ""
        time_text = " ".join(li.xpath(ITEM_TIME_XPATH))
        entries.append(
            ListEntry(
                article_id=article_id,
                title=clean_text(links[0].text_content()),
                published_at=parse_datetime(clean_text(time_text), _id_day_end(article_id) or now),
                summary=clean_text(summary),
            )
        )
    entries, duplicates = _unique(entries)
    return ListPage(entries=entries, rejected=rejected + ["duplicate"] * duplicates, next_url=_next_url(doc, url))


def _next_url(doc, url: str) -> str | None:
    for href in doc.xpath(NEXT_PAGE_XPATH):
        href = href.strip()
        if href and not href.lower().startswith("javascript:") and href != "#":
            return urljoin(url, href)
    return None


def _id_day_end(article_id: str) -> datetime | None:
    """End of the day an id's yyyymmdd prefix names: the reference year for year-less list dates."""
    try:
        day = datetime.strptime(article_id[:8], "%Y%m%d")
    except ValueError:
        return None
    return datetime.combine(day.date(), time(23, 59), SHANGHAI)


def _unique(entries: list[ListEntry]) -> tuple[list[ListEntry], int]:
    seen, unique = set(), []
    for entry in entries:
        if entry.article_id not in seen:
            seen.add(entry.article_id)
            unique.append(entry)
    return unique, len(entries) - len(unique)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
