"""Typed records that flow from parsers through the spider to the pipelines.

Plain dataclasses (itemadapter handles them), so parsers and other tools can use
them without importing Scrapy; the pipelines read items through ItemAdapter, so dicts
with the same fields work as well. Which archive feed an item belongs to, and so its
post key, is said by crawler/archive/feeds.py, not by the item. Article and FastNews are also the feed of `scrapy crawl -O`:
their field names and types are a documented interface (docs/reference.md), and `published_at`
is exported as ISO 8601 in Beijing time through its field's "serializer" metadata. `stocks` and
`boards` are the securities East Money tagged the article with (crawler/parsers/securities.py).
`Provenance` says where a page's fields came from; it travels beside an item, never in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from itemadapter import ItemAdapter

from crawler.ids import info_code

SHANGHAI = ZoneInfo("Asia/Shanghai")  # Beijing time: every East Money time, and every time this project writes


def iso_beijing(moment: datetime) -> str:
    """ISO 8601 in Beijing time, e.g. "2021-12-31T06:49:26+08:00": how times leave this project as data."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


ISO_BEIJING = {"serializer": iso_beijing}  # field metadata that Scrapy's feed exporters apply


EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)  # no East Money news is older: an earlier time is a wrong one
FUTURE_TOLERANCE = timedelta(hours=1)  # clock skew between East Money and this machine


def too_old(moment: datetime) -> bool:
    return moment < EARLIEST


def in_future(moment: datetime) -> bool:
    return moment > datetime.now(SHANGHAI) + FUTURE_TOLERANCE


def fields(item: object) -> Mapping:
    """An item's fields by name, whatever kind of item it is (dataclass, dict, scrapy.Item, attrs)."""
    return item if isinstance(item, Mapping) else ItemAdapter(item)


@dataclass(frozen=True)
class ListEntry:
    """One article as a category list (API JSON or HTML page) announces it."""

    article_id: str  # the 17-18 digit East Money id, e.g. "202112312231871790"
    title: str = ""
    published_at: datetime | None = None  # Asia/Shanghai; None when the list gave no usable time
    source: str = ""  # mediaName, when the list names it
    summary: str = ""
    secids: tuple[str, ...] = ()  # 7x24: the securities the feed tagged it with (its stockList), checked

    @property
    def info_code(self) -> str:
        return info_code(self.article_id)


@dataclass(frozen=True)
class ListPage:
    """A parsed list page: its article entries, rejected entries and how to go on."""

    entries: list[ListEntry]
    rejected: list[str] = field(default_factory=list)  # one reason per entry that was not usable
    next_url: str | None = None  # HTML lists: the page's own "下一页" link
    cursor: str | None = None  # rolling feed: where the next page starts (its sortEnd)
    total: int | None = None  # list API: total entries in the column (its "totle_hits")
    page_size: int | None = None  # list API: entries per page, as the answer states it


@dataclass
class Article:
    """A complete news article, ready to be written as a post."""

    info_code: str  # "NW" + id
    url: str  # canonical https://finance.eastmoney.com/a/<id>.html
    title: str
    published_at: datetime = field(metadata=ISO_BEIJING)  # timezone-aware, Asia/Shanghai
    source: str  # media name, e.g. "中国证券报·中证网"; "" when the page names none (the per-media feed drops it)
    paragraphs: list[str]  # clean HTML blocks: <p>, <p><img></p>, <table>
    stocks: list[dict] = field(default_factory=list)  # {"secid": "1.600030", "code": "600030", "name": "中信证券"}
    boards: list[dict] = field(default_factory=list)  # the same, of boards: {"secid": "90.BK1036", …}


@dataclass
class FastNews:
    """One item of the 7x24 rolling feed (东财滚动新闻), posted under category emnews."""

    article_id: str
    url: str  # canonical https://finance.eastmoney.com/a/<id>.html
    title: str  # the feed's
    published_at: datetime = field(metadata=ISO_BEIJING)  # the feed's showTime, Asia/Shanghai
    summary: str
    paragraphs: list[str]  # the article page's blocks; empty when the page could not be read
    source: str = ""  # the article page's media name, when it was read
    stocks: list[dict] = field(default_factory=list)  # the page's, then the feed's stockList (as Article's)
    boards: list[dict] = field(default_factory=list)


PAGE, FALLBACK, MISSING = "page", "fallback", "missing"  # where a field came from (Provenance)
COVERED_FIELDS = ("title", "time", "source", "body", "stocks")  # the fields whose provenance is counted


@dataclass(frozen=True)
class Provenance:
    """Where an article page's fields came from: PAGE (the page's own markup, in the place either
    East Money template puts it), FALLBACK (a generic selector, or the list entry) or MISSING.

    It describes the page, not the value the item keeps: the list's time wins over the page's (it
    has seconds), yet `time` says whether the page showed one in its place. `stocks` is PAGE when
    the body tagged any security (many pages tag none), FALLBACK when only the 7x24 feed's stockList
    did. Not an item field: outputs (posts, `-O` JSON Lines) never hold it; the field coverage of
    the run report counts it (crawler/extensions/coverage.py).
    """

    title: str = MISSING
    time: str = MISSING
    source: str = MISSING
    body: str = MISSING
    stocks: str = MISSING

    def fields(self) -> dict[str, str]:
        """Each covered field's provenance, in COVERED_FIELDS order."""
        return {name: getattr(self, name) for name in COVERED_FIELDS}
