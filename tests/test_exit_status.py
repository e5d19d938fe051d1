"""The exit status of `scrapy crawl` tells the truth: each way a run fails has its status and its line.

2: a usage error; 4: no category list could be read; 5: too many article pages could not be
fetched or parsed; 6: the archive is not writable, said before any request. The others have
their own subjects: 3 (another run holds the archive) in test_kill_and_overlap.py, 7 (stopped
early) in test_stops.py, 8 (the shared Redis) in test_distributed.py.
"""

import pytest

from fixtures.testing import serve, synthesize
from tests.crawl import scrapy_crawl

pytestmark = pytest.mark.slow  # each test runs a real `scrapy crawl` process


def test_usage_errors_exit_2(tmp_path):
    process = scrapy_crawl("http://127.0.0.1:9", tmp_path / "archive", "lists=rss", status=2)
    assert "lists must be api or html" in process.stderr


def test_no_readable_list_exits_4(tmp_path):
    server, base_url = serve(faults={r"getNewsByColumns": ["status:500*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", status=4, RETRY_TIMES=0)
    finally:
        server.shutdown()
    assert "exit status: 4 (no category list could be read)" in process.stderr


def test_mostly_unparsable_pages_exit_5(tmp_path):
    root = tmp_path / "site"
    for article_id in synthesize(root, 4):
        (root / f"finance.eastmoney.com/a/{article_id}.html").write_text("<html><body>维护中</body></html>")
    server, base_url = serve(root)
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350", status=5)
    finally:
        server.shutdown()
    assert "dropped: no_body 4" in process.stderr


def test_lists_fine_but_every_article_refused_exits_5(tmp_path):
    server, base_url = serve(faults={r"/a/\d+\.html": ["status:403*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", status=5, RETRY_TIMES=0)
    finally:
        server.shutdown()
    assert "exit status: 5 (too many article pages could not be fetched or parsed" in process.stderr
    assert "dropped: http_403" in process.stderr


def test_unwritable_archive_exits_6_before_any_request(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "a-file" / "archive", status=6)
    finally:
        server.shutdown()
    assert server.requested == []
    assert "is not writable" in process.stderr
