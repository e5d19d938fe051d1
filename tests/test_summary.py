"""The end of a run: the run report (FINEWS_REPORT_FILE) and the log summary, as pure functions of stats.

The summary is shown even when the log level hides everything else (-L WARNING).
"""

import json
from datetime import UTC, datetime

import pytest

from crawler.extensions.summary import format_duration, run_report, summary_text
from fixtures.testing import serve
from tests.crawl import scrapy_crawl

STATS = {  # a run's stats as Scrapy and the spiders leave them
    "start_time": datetime(2026, 11, 20, 1, 2, 3, 456789, tzinfo=UTC),
    "finish_time": datetime(2026, 11, 20, 1, 4, 10, 456789, tzinfo=UTC),
    "elapsed_time_seconds": 127.00049,
    "finish_reason": "finished",
    "finews/exit_status": 0,
    "finews/posts/written": 3,
    "finews/posts/by_source/证券时报网": 2,
    "finews/posts/by_source/财联社": 1,
    "finews/categories/created": 1,
    "finews/skipped/known": 7,
    "finews/skipped/listed_twice": 2,
    "finews/dropped/http_404": 1,
    "finews/articles/fetched": 4,
    "finews/articles/unparsable": 1,
    "finews/lists/read": 3,
    "finews/lists/read/cgnjj": 2,
    "finews/lists/read/cgjjj": 1,
    "finews/lists/failed/api_error": 1,
    "finews/lists/rejected_entries/not_cms": 5,
    "finews/progress/newest_day": "2026-11-20",
    "downloader/response_status_count/200": 9,
    "downloader/response_status_count/302": 1,
    "downloader/response_status_count/404": 1,
    "downloader/response_status_count/503": 2,
    "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
    "retry/count": 3,
    "retry/max_reached": 1,
    "finews/retry/backoff_seconds": 6.0,
    "item_scraped_count": 3,
}


def test_report_has_stable_keys_and_beijing_times():
    assert run_report(STATS, "eastmoney") == {
        "spider": "eastmoney",
        "started_at": "2026-11-20T09:02:03+08:00",
        "finished_at": "2026-11-20T09:04:10+08:00",
        "duration_seconds": 127.0,
        "finish_reason": "finished",
        "exit_status": 0,
        "new_posts": 3,
        "new_posts_by_source": {"证券时报网": 2, "财联社": 1},
        "new_category_pages": 1,
        "slug_collisions": {},
        "known_skipped": 7,
        "skipped": {"listed_twice": 2},
        "dropped": {"http_404": 1},
        "summary_only": {},
        "articles_fetched": 4,
        "articles_unparsable": 1,
        "articles_unparsable_by_reason": {},
        "field_coverage": {},
        "template_changed": [],
        "lists_read": 3,
        "lists_read_by_category": {"cgjjj": 1, "cgnjj": 2},
        "lists_failed": {"api_error": 1},
        "list_entries_not_taken": {"not_cms": 5},
        "http_errors": {"404": 1, "503": 2},
        "download_errors": {"twisted.internet.error.TimeoutError": 1},
        "distributed": {"taken_over": 0, "left_to_others": 0},
        "retries": {"count": 3, "gave_up": 1, "backoff_seconds": 6.0},
    }


def test_report_of_a_run_that_did_nothing_has_every_key():
    report = run_report({}, "eastmoney_724")
    assert list(report) == list(run_report(STATS, "eastmoney"))
    assert report["new_posts"] == 0 and report["dropped"] == {} and report["started_at"] is None
    assert json.loads(json.dumps(report)) == report


def test_summary_text_says_how_long_the_run_took():
    text = summary_text(run_report(STATS, "eastmoney"))
    lines = text.splitlines()
    assert lines[0] == "finews summary (finished), 2 min 07 s:"
    assert "  new posts: 3 (new category pages: 1)" in lines
    assert "  new posts by source: 证券时报网 2, 财联社 1" in lines
    assert "  skipped other: listed_twice 2" in lines
    assert "  HTTP errors: 503 2, 404 1" in lines  # most first; 2xx and 3xx are no errors
    assert "  download errors: twisted.internet.error.TimeoutError 1" in lines


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0.0 s"), (4.24, "4.2 s"), (59.94, "59.9 s"), (60, "1 min 00 s"), (187.4, "3 min 07 s"), (7500, "2 h 05 min")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.slow
def test_the_summary_is_shown_at_log_level_warning(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", LOG_LEVEL="WARNING")
    finally:
        server.shutdown()
    assert "new posts:" in process.stderr and "exit status: 0 (ok)" in process.stderr
