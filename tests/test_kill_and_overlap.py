"""A crawl killed at any moment loses nothing, and overlapping runs never share the archive (exit status 3)."""

import signal
import time

import pytest
import yaml

from crawler.archive.layout import TEMP_GLOB
from tests.conftest import LARGE_MIRROR_ARGS, LARGE_MIRROR_ARTICLES
from tests.crawl import archive_files, scrapy_crawl, start_crawl

pytestmark = pytest.mark.slow  # real crawls of the large mirror, killed and rerun

ARTICLES = LARGE_MIRROR_ARTICLES


def post_count(archive) -> int:
    posts = archive / "_posts"
    return sum(1 for p in posts.iterdir() if p.suffix == ".md") if posts.exists() else 0


def test_killed_twenty_times_then_rerun_equals_a_clean_run(large_mirror, large_mirror_archive, tmp_path):
    _, base_url = large_mirror
    archive = tmp_path / "archive"
    assert len([name for name in large_mirror_archive if name.startswith("_posts/")]) == ARTICLES
    kills = []
    for moment in range(20):
        target = 15 * (moment + 1)  # kill once the archive holds this many posts
        process = start_crawl(base_url, archive, *LARGE_MIRROR_ARGS)
        while process.poll() is None and post_count(archive) < target:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills.append(post_count(archive))
    scrapy_crawl(base_url, archive, *LARGE_MIRROR_ARGS)  # the rerun to completion
    assert archive_files(archive) == large_mirror_archive
    assert not list(archive.rglob(TEMP_GLOB))
    for name, text in archive_files(archive).items():
        if name.endswith(".md"):
            assert yaml.safe_load(text.split("---\n")[1])["layout"] == "post"
    assert len(set(kills)) >= 15, kills  # the kills landed at many different moments


def test_a_second_run_on_a_locked_archive_exits_at_once(large_mirror, large_mirror_archive, tmp_path):
    _, base_url = large_mirror
    archive = tmp_path / "archive"
    first = start_crawl(base_url, archive, *LARGE_MIRROR_ARGS)
    while post_count(archive) < 1:
        time.sleep(0.005)
    started = time.monotonic()
    second = scrapy_crawl(base_url, archive, *LARGE_MIRROR_ARGS, status=3)
    assert time.monotonic() - started < 10
    assert "another run is writing" in second.stderr and "exit status: 3" in second.stderr
    assert first.wait(timeout=120) == 0
    assert archive_files(archive) == large_mirror_archive  # the first run alone wrote everything, once
