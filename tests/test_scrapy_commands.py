"""Scrapy's own commands on this project: `scrapy parse` reads an East Money article page with the
spider's callback, and `scrapy fetch` writes nothing into the archive."""

import subprocess

import pytest

from fixtures.testing import ARTICLE_PATH, FIXTURE_SITE, scrapy_command, serve
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # each test runs `scrapy` as a process


def test_scrapy_parse_reads_one_article_page(tmp_path):
    article_id = (
        "202112312231871790" if (FIXTURE_SITE / ARTICLE_PATH.format(id="202112312231871790")).exists() else None
    )
    article_id = article_id or next(p.stem for p in (FIXTURE_SITE / "finance.eastmoney.com/a").glob("2*.html"))
    server, base_url = serve()
    try:
        command = scrapy_command("parse", "--spider", "eastmoney", "-c", "parse_article", "--nolog",
                                 f"{base_url}/{ARTICLE_PATH.format(id=article_id)}",
                                 settings={"FINEWS_ARCHIVE_DIR": tmp_path / "archive", "ROBOTSTXT_OBEY": False})  # fmt: skip
        process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"NW{article_id}" in process.stdout and "Scraped Items" in process.stdout


def test_scrapy_fetch_writes_nothing_into_the_archive(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>x</body></html>")
    archive = tmp_path / "archive"
    command = scrapy_command("fetch", "--nolog", page.as_uri(), settings={"FINEWS_ARCHIVE_DIR": archive})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    assert not archive.exists()
