"""The project's settings (crawler.config.check_settings): a wrong value is one line that names the
setting and what it accepts, and it stops the crawl before the first request."""

import re

import pytest
from scrapy.settings import Settings

from crawler import settings as defaults
from crawler.config import check_settings
from fixtures.testing import serve
from tests.crawl import scrapy_crawl


def project_scrapy_settings(**changes) -> Settings:
    settings = Settings()
    settings.setmodule(defaults)
    settings.update(changes)
    return settings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"FINEWS_LIST_PAGE_SIZE": "abc"}, "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
        ({"FINEWS_LIST_PAGE_SIZE": "500"}, "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
        ({"FINEWS_ARTICLE_URL": "https://x/a/{idd}.html"}, "unknown placeholder {idd}"),
        ({"FINEWS_ARTICLE_URL": "https://x/a/latest.html"}, "{id} is missing"),
        ({"FINEWS_LIST_API_URL": "ftp://x/{column}/{page}"}, "setting FINEWS_LIST_API_URL must be an http(s) URL"),
        ({"FINEWS_MAX_ARTICLE_FAILURE_RATIO": "2"}, "from 0.0 to 1.0"),
        ({"FINEWS_MAX_PARSE_FAILURE_RATIO": "0.5"}, "unknown setting FINEWS_MAX_PARSE_FAILURE_RATIO"),
        ({"FINEWS_FEED": "rss"}, "setting FINEWS_FEED must be one of eastmoney, eastmoney_724"),
    ],
)
def test_wrong_settings_say_which_and_what_is_accepted(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_settings(project_scrapy_settings(**changes))


@pytest.mark.slow
def test_a_wrong_setting_stops_the_crawl_before_any_request(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", status=2, FINEWS_LIST_PAGE_SIZE="abc")
    finally:
        server.shutdown()
    assert server.requested == [] and "setting FINEWS_LIST_PAGE_SIZE must be" in process.stderr
