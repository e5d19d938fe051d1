"""Faults of the site: HTTP errors, resets, timeouts and slow answers. Every fetchable article is written.

A robots.txt that forbids everything and a decompression bomb are named as what they are.
"""

import gzip
import json

import pytest

from fixtures.testing import FIXTURE_SITE, serve
from tests.crawl import scrapy_crawl

pytestmark = pytest.mark.slow  # real `scrapy crawl` processes against a faulty mirror

MANIFEST = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
LISTED = sorted(a["id"] for a in MANIFEST["articles"] if "350" in map(str, a["columns"]))

FAULTS = {  # article id -> what the mirror does on each request for it
    LISTED[0]: ["status:503", "status:503", "ok"],  # transient: retried, then written
    LISTED[1]: ["status:429+header:Retry-After=1", "ok"],  # throttled: waits Retry-After, then written
    LISTED[2]: ["reset", "reset", "ok"],  # connection reset twice, then written
    LISTED[3]: ["delay:0.4", "ok"],  # slow but within the timeout: written
    LISTED[4]: ["status:404*"],  # gone: dropped as http_404
    LISTED[5]: ["status:500*"],  # broken for good: dropped after retries as http_500
    LISTED[6]: ["delay:3*"],  # never answers in time: dropped as download_error
    LISTED[7]: ["status:403", "ok"],  # East Money's throttling answer: retried, then written
}


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    server, base_url = serve(faults={f"/a/{article_id}\\.html": actions for article_id, actions in FAULTS.items()})
    try:
        process = scrapy_crawl(
            base_url,
            tmp / "archive",
            "categories=350",
            DOWNLOAD_TIMEOUT=1,
            RETRY_TIMES=2,
            FINEWS_REPORT_FILE=tmp / "run.json",
        )
    finally:
        server.shutdown()
    return tmp / "archive", json.loads((tmp / "run.json").read_text(encoding="utf-8")), process, server.requested


def written(archive):
    return {p.name.split("-NW")[1].removesuffix(".md") for p in (archive / "_posts").glob("*.md")}


def test_every_article_that_could_be_fetched_is_written(faulty_run):
    archive, _, _, _ = faulty_run
    lost = {LISTED[4], LISTED[5], LISTED[6]}
    assert written(archive) == set(LISTED) - lost


def test_failures_are_counted_by_reason(faulty_run):
    _, report, process, _ = faulty_run
    assert report["dropped"]["http_404"] == 1
    assert report["dropped"]["http_500"] == 1
    assert report["dropped"]["download_error"] == 1
    assert report["retries"]["count"] >= 8
    assert report["exit_status"] == 0  # a run with some bad pages still succeeds
    assert process.returncode == 0
    assert "dropped: download_error 1, http_404 1, http_500 1" in process.stderr


def test_retries_back_off(faulty_run):
    _, report, _, requested = faulty_run
    assert requested.count(f"/finance.eastmoney.com/a/{LISTED[5]}.html") == 3  # first try + RETRY_TIMES
    assert report["retries"]["backoff_seconds"] >= 1  # includes the Retry-After of 1 s


def test_robots_txt_forbidding_everything_is_named(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    server, base_url = serve(root, FIXTURE_SITE)
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", status=4, ROBOTSTXT_OBEY=True)
    finally:
        server.shutdown()
    assert "lists failed: robots_txt 1" in process.stderr and "download errors: robots_txt 1" in process.stderr


def test_a_decompression_bomb_is_too_large_and_counted_as_a_download_error(tmp_path):
    root = tmp_path / "site"
    bomb = root / "np-listapi.eastmoney.com/comm/web/getNewsByColumns/350/1.json"
    bomb.parent.mkdir(parents=True)
    bomb.write_bytes(gzip.compress(b" " * 2_000_000))
    server, base_url = serve(root, faults={r"getNewsByColumns": ["header:Content-Encoding=gzip*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350", status=4, DOWNLOAD_MAXSIZE=100_000)
    finally:
        server.shutdown()
    assert "lists failed: too_large 1" in process.stderr and "download errors: too_large 1" in process.stderr
