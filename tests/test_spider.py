"""Spider arguments and the choice of list entries to fetch (no network).

A wrong argument is a usage error that says which and what is accepted, before the first
request; a list page queues at most FINEWS_MAX_LIST_ENTRIES of its entries.
"""

import re
from datetime import datetime

import pytest
from scrapy.exceptions import UsageError
from scrapy.utils.test import get_crawler

from crawler.categories import Category, parse_categories
from crawler.items import SHANGHAI, ListEntry, ListPage
from crawler.spiders.eastmoney import EastMoneySpider
from crawler.spiders.eastmoney_724 import FastNewsSpider
from tests.conftest import project_settings


def spider(tmp_path, settings=None, **args) -> EastMoneySpider:
    settings = project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path), **(settings or {}))
    crawler = get_crawler(EastMoneySpider, settings_dict=settings)
    crawler.stats.open_spider()
    return EastMoneySpider.from_crawler(crawler, **args)


def test_default_categories():
    categories = parse_categories(None)
    assert len(categories) >= 6 and all(c.column and c.slug for c in categories)
    assert Category("cgnjj", 350) in categories


def test_numeric_columns_and_slugs():
    assert parse_categories("350,cgjjj, 9999") == [Category("cgnjj", 350), Category("cgjjj", 351), Category(None, 9999)]


@pytest.mark.parametrize(
    "args",
    [
        {"categories": "../x"},
        {"categories": ","},
        {"pages": "0"},
        {"pages": "many"},
        {"lists": "rss"},
        {"since": "2026-13-01"},
        {"until": "2026-01-01"},
        {"categories": "chgyj"},  # a list-page slug with no known API column, in api mode
        {"categories": "9999", "lists": "html"},  # a column with no list-page slug, in html mode
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path, args):
    with pytest.raises(UsageError):
        spider(tmp_path, **args)


def test_modes_set_page_limits(tmp_path):
    assert spider(tmp_path).pages == 3
    assert spider(tmp_path, since="2026-01-01").pages == 100
    assert spider(tmp_path, pages="7").pages == 7


def entry(article_id: str, when: datetime | None = None) -> ListEntry:
    return ListEntry(article_id, published_at=when)


def test_select_skips_known_and_repeated(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2026-01-01-NW202601011111111111.md").write_text("x")
    s = spider(tmp_path)
    chosen, new, _ = s.select([entry("202601011111111111"), entry("202601012222222222")])
    assert new == chosen
    assert [e.article_id for e in chosen] == ["202601012222222222"]
    assert s.select([entry("202601012222222222")])[0] == []  # listed again in another category
    stats = s.crawler.stats.get_stats()
    assert stats["finews/skipped/known"] == 1
    assert stats["finews/skipped/listed_twice"] == 1


def test_select_in_backfill_keeps_the_range(tmp_path):
    s = spider(tmp_path, since="2026-01-10", until="2026-01-20")
    at = lambda day: datetime(2026, 1, day, 12, tzinfo=SHANGHAI)  # noqa: E731
    chosen, _, reached_since = s.select(
        [entry("202601251111111111", at(25)), entry("202601151111111111", at(15)), entry("202601151111111112")]
    )
    assert [e.article_id for e in chosen] == ["202601151111111111", "202601151111111112"]  # id date as fallback
    assert not reached_since
    assert s.select([entry("202601051111111111", at(5))]) == ([], [], True)


def test_next_page_on_the_live_host_stays_on_the_mirror(tmp_path):
    mirror = "http://127.0.0.1:8000/finance.eastmoney.com/a/"
    s = spider(tmp_path, {"FINEWS_LIST_PAGE_URL": mirror + "{slug}.html"}, lists="html")
    assert s.mirror_safe(mirror + "cgnjj_2.html", mirror + "cgnjj.html") == mirror + "cgnjj_2.html"
    assert (
        s.mirror_safe("https://finance.eastmoney.com/a/cgnjj_2.html", mirror + "cgnjj.html") == mirror + "cgnjj_2.html"
    )


def test_list_pages_are_counted_per_list_with_the_days_they_reach(tmp_path):
    s = spider(tmp_path, since="2026-01-01")
    at = lambda day: datetime(2026, 1, day, 12, tzinfo=SHANGHAI)  # noqa: E731
    first_page = ListPage([entry("202601201111111111", at(20)), entry("202601151111111111")], rejected=["not_cms"])
    s.take_list("cgnjj", first_page)
    s.take_list("cgnjj", ListPage([entry("202601101111111111", at(10))]))
    s.take_list("cgjjj", ListPage([entry("202601181111111111", at(18))]))
    stats = s.crawler.stats.get_stats()
    assert (stats["finews/lists/read"], stats["finews/lists/read/cgnjj"], stats["finews/lists/read/cgjjj"]) == (3, 2, 1)
    assert stats["finews/lists/rejected_entries/not_cms"] == 1
    assert stats["finews/progress/oldest_day/cgnjj"] == "2026-01-10"
    assert stats["finews/progress/oldest_day/cgjjj"] == "2026-01-18"
    assert stats["finews/progress/newest_day"] == "2026-01-20"


def test_a_huge_list_page_queues_at_most_the_cap(tmp_path):
    crawler = get_crawler(
        EastMoneySpider, project_settings(FINEWS_ARCHIVE_DIR=str(tmp_path), FINEWS_MAX_LIST_ENTRIES=100)
    )
    crawler.stats.open_spider()
    spider = EastMoneySpider.from_crawler(crawler)
    page = ListPage([ListEntry(f"2025112000000{n:05d}") for n in range(5000)])
    assert len(spider.take_list("cgnjj", page)) == 100
    assert crawler.stats.get_value("finews/lists/rejected_entries/over_cap") == 4900


@pytest.mark.parametrize(
    ("spider", "args", "message"),
    [
        (
            EastMoneySpider,
            {"foo": "bar"},
            "unknown argument 'foo': eastmoney takes categories, lists, pages, since, until",
        ),
        (
            FastNewsSpider,
            {"categories": "cgnjj"},
            "unknown argument 'categories': eastmoney_724 takes pages, since, until",
        ),
        (EastMoneySpider, {"categories": "cgnjjj"}, "unknown category 'cgnjjj': use an API column number or one of"),
        (EastMoneySpider, {"categories": "chgyj"}, "category 'chgyj' has no list-API column: use lists=html"),
        (EastMoneySpider, {"pages": "abc"}, "pages must be a whole number of list pages, 1 or more, not 'abc'"),
        (EastMoneySpider, {"since": "2026-02-01", "until": "2026-01-01"}, "until (2026-01-01) is before since"),
        (EastMoneySpider, {"until": "2026-01-01"}, "until needs since"),
        (FastNewsSpider, {"since": "01/02/2026"}, "since must be a day as YYYY-MM-DD, not '01/02/2026'"),
    ],
)
def test_wrong_arguments_say_which_and_what_is_accepted(spider, args, message):
    with pytest.raises(UsageError, match="^" + re.escape(message)):
        spider.parse_arguments(**args)
    assert spider.parse_arguments(_job="scrapyd-1")  # scrapyd's own argument passes
