"""Category lists -> ListPage: the getNewsByColumns JSON API and server-rendered HTML pages."""

import json
import re
from datetime import datetime, time
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from crawler.ids import ID_RE, article_id_from_url
from crawler.items import SHANGHAI, ListEntry, ListPage, too_old
from crawler.parsers.dates import parse_datetime
from crawler.parsers.errors import ParseError
from crawler.parsers.securities import listed_secids
from crawler.parsers.selectors import (
    ITEM_INFO_XPATH,
    ITEM_LINK_XPATHS,
    ITEM_TIME_XPATH,
    LIST_ITEMS_XPATH,
    LIST_XPATH,
    NEXT_PAGE_XPATH,
)
from crawler.parsers.text import clean_text

_CALLBACK_RE = re.compile(r"[\w$.]+")  # a JSONP callback name: jQuery123_456, cb, a.b


def parse_list_api(text: str | bytes, url: str = "") -> ListPage:
    """Parse one getNewsByColumns answer (JSON or JSONP)."""
    data = _api_data(text, url)
    entries, rejected = _each(data.get("list"), _api_entry)
    return ListPage(
        entries=entries,
        rejected=rejected,
        total=_int(data.get("totle_hits", data.get("total_hits"))),
        page_size=_int(data.get("page_size")),
    )


def _api_entry(raw) -> ListEntry | str:
    if not isinstance(raw, dict):
        return "bad_entry"
    kind = clean_text(raw.get("np_dst") or raw.get("Np_dst")) or "CMS"
    if kind != "CMS":  # 财富号 (CFH) and other feeds are not East Money news articles
        return "not_cms"
    code = clean_text(raw.get("code"))
    if ID_RE.fullmatch(code):
        article_id = code
    else:
        article_id = article_id_from_url(clean_text(raw.get("uniqueUrl")) or clean_text(raw.get("url")))
    if not article_id:
        return "bad_id"
    return ListEntry(
        article_id=article_id,
        title=clean_text(raw.get("title")),
        published_at=parse_datetime(clean_text(raw.get("showTime"))),
        source=clean_text(raw.get("mediaName")),
        summary=clean_text(raw.get("summary")),
    )


def parse_fast_list(text: str | bytes, url: str = "") -> ListPage:
    """Parse one getFastNewsList answer (the 7x24 rolling feed); `cursor` is the next page's sortEnd.

    Entries keep an empty title or time as they come: the spider drops those with a reason. An
    entry's `stockList` gives its secids (the valid ones: crawler/parsers/securities.py).
    """
    data = _api_data(text, url)
    raw_entries = data.get("fastNewsList") if isinstance(data.get("fastNewsList"), list) else []
    entries, rejected = _each(raw_entries, _fast_entry)
    sorts = [raw["realSort"] for raw in raw_entries if isinstance(raw, dict) and raw.get("realSort")]
    cursor = clean_text(str(data.get("sortEnd") or (sorts[-1] if sorts else ""))) or None
    return ListPage(entries=entries, rejected=rejected, cursor=cursor)


def _fast_entry(raw) -> ListEntry | str:
    if not isinstance(raw, dict):
        return "bad_entry"
    code = clean_text(str(raw.get("code", "")))
    if not ID_RE.fullmatch(code):
        return "bad_id"
    return ListEntry(
        article_id=code,
        title=clean_text(raw.get("title")),
        published_at=_fast_time(raw.get("showTime")),
        summary=clean_text(raw.get("summary")),
        secids=listed_secids(raw.get("stockList")),
    )


def _each(raw_entries, parse_one) -> tuple[list[ListEntry], list[str]]:
    """Each raw entry parsed on its own: (unique entries, one reason per entry not taken).

    One entry that breaks its parser (any exception) is one rejected entry, never a lost page.
    """
    entries, rejected = [], []
    for raw in raw_entries if isinstance(raw_entries, list) else ():
        try:
            parsed = parse_one(raw)
        except Exception:
            parsed = "bad_entry"
        if isinstance(parsed, str):
            rejected.append(parsed)
        else:
            entries.append(parsed)
    unique, duplicates = _unique(entries)
    return unique, rejected + ["duplicate"] * duplicates


def _api_data(text: str | bytes, url: str) -> dict:
    """The `data` object of an East Money list API answer (JSON or JSONP) whose code is 1."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        answer = json.loads(_unwrap_jsonp(text))
    except ValueError as exc:
        raise ParseError("bad_json", f"{url}: {exc}") from None
    if not isinstance(answer, dict):
        raise ParseError("bad_json", f"{url}: not an object")
    if str(answer.get("code")) != "1":
        raise ParseError("api_error", f"{url}: code={answer.get('code')!r} {answer.get('message', '')}")
    data = answer.get("data")
    return data if isinstance(data, dict) else {}


def _unwrap_jsonp(text: str) -> str:
    """The JSON inside `callback(...)` (JSONP), else the text itself; by hand, in linear time
    (a regex with .* between the parentheses backtracks quadratically over blank runs)."""
    body = text.strip()
    if body.endswith(";"):
        body = body[:-1].rstrip()
    open_at = body.find("(")
    if open_at > 0 and body.endswith(")") and _CALLBACK_RE.fullmatch(body[:open_at].rstrip()):
        return body[open_at + 1 : -1]
    return text


def _fast_time(value) -> datetime | None:
    """showTime as "YYYY-MM-DD HH:MM:SS", or as a Unix timestamp in seconds or milliseconds; None if
    it is neither, or no time a datetime can hold, or before 2000 (crawler/items.py EARLIEST)."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        try:
            moment = datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, SHANGHAI)
        except (OverflowError, OSError, ValueError):  # "99999999999999999999"
            return None
        return None if too_old(moment) else moment
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
    entries, rejected = _each(items, lambda li: _html_entry(li, url, now))
    return ListPage(entries=entries, rejected=rejected, next_url=_next_url(doc, url))


def _html_entry(li, url: str, now: datetime | None) -> ListEntry | str:
    links = li.xpath(ITEM_LINK_XPATHS[0]) or li.xpath(ITEM_LINK_XPATHS[1])
    article_id = article_id_from_url(urljoin(url, links[0].get("href"))) if links else None
    if not article_id:
        return "bad_id"
    info = li.xpath(ITEM_INFO_XPATH)
    summary = (info[0].get("title") or info[0].text_content()) if info else ""
    time_text = " ".join(li.xpath(ITEM_TIME_XPATH))
    return ListEntry(
        article_id=article_id,
        title=clean_text(links[0].text_content()),
        published_at=parse_datetime(clean_text(time_text), _id_day_end(article_id) or now),
        summary=clean_text(summary),
    )


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
