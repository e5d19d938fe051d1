"""Every stop is a gap-filling stop: a crawl stopped early (SIGTERM, Ctrl-C, a full disk) says so
in its exit status and leaves the archive marked interrupted, and the next run reads at least
as deep as the stopped one had planned, so a rerun ends with the archive a clean run writes.
"""

import json
import signal
import subprocess
import time
from datetime import datetime, timedelta

import pytest

from crawler.items import SHANGHAI
from fixtures.testing import serve, synthesize
from tests.conftest import LARGE_MIRROR_ARGS, need_root
from tests.crawl import archive_files, scrapy_crawl, start_crawl

pytestmark = pytest.mark.slow  # real crawls of the large mirror, stopped and rerun

MOMENTS = (5, 60, 140, 220, 300)  # posts in the archive when the signal is sent (of 320)
SCHEDULED = ("categories=350",)  # the rerun: a plain scheduled run, 3 pages deep (the stopped one planned 4)


def post_count(archive) -> int:
    posts = archive / "_posts"
    return sum(1 for p in posts.iterdir() if p.suffix == ".md") if posts.exists() else 0


def lock_state(archive) -> tuple[str, dict | None]:
    state, _, plan = (archive / ".finews.eastmoney.lock").read_text().partition("\n")
    return state.strip(), json.loads(plan) if plan.strip() else None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_signal_at_any_moment_then_a_scheduled_rerun_equals_a_clean_run(
    sig, moment, large_mirror, large_mirror_archive, tmp_path
):
    _, base_url = large_mirror
    archive = tmp_path / "archive"
    process = start_crawl(base_url, archive, *LARGE_MIRROR_ARGS)
    deadline = time.monotonic() + 60
    while process.poll() is None and post_count(archive) < moment and time.monotonic() < deadline:
        time.sleep(0.005)
    sent = time.monotonic()
    process.send_signal(sig)
    status = process.wait(timeout=60)
    assert time.monotonic() - sent < 10  # a first signal stops the run within seconds
    assert status == 7, f"stopped at {post_count(archive)} posts"
    state, plan = lock_state(archive)
    assert (state, plan["lists"], plan["pages"], plan["since"], plan["until"]) == (
        "interrupted",
        ["cgnjj"],
        4,
        None,
        None,
    )
    rerun = scrapy_crawl(base_url, archive, *SCHEDULED)
    assert "The last run did not finish: reading up to 4 list pages" in rerun.stderr
    assert archive_files(archive) == large_mirror_archive
    assert lock_state(archive) == ("done", None)


def test_a_run_killed_while_resuming_keeps_the_unfinished_plan(large_mirror, large_mirror_archive, tmp_path):
    """A backfill stopped, then the scheduled run that resumes it killed: the next one still resumes it."""
    _, base_url = large_mirror
    archive = tmp_path / "archive"
    backfill = start_crawl(base_url, archive, "categories=350", "since=2000-01-01", "pages=4")
    while backfill.poll() is None and post_count(archive) < 40:
        time.sleep(0.005)
    backfill.send_signal(signal.SIGTERM)
    assert backfill.wait(timeout=60) == 7
    resuming = start_crawl(base_url, archive, *SCHEDULED)
    while resuming.poll() is None and post_count(archive) < 120:
        time.sleep(0.005)
    resuming.kill()
    resuming.wait()
    state, plan = lock_state(archive)
    assert state.startswith("running pid") and plan["since"] == "2000-01-01" and plan["pages"] == 4
    scrapy_crawl(base_url, archive, *SCHEDULED)
    assert archive_files(archive) == large_mirror_archive


def test_a_resumed_run_reaches_the_gap_however_many_new_entries_came_since(tmp_path):
    """Stopped, then 160 new articles listed on top: the old ones are two pages deeper, and still read."""
    root = tmp_path / "site"
    ids = synthesize(root, 480, column=350, page_size=80)
    old, new = ids[:320], ids[320:]
    api = root / "np-listapi.eastmoney.com/comm/web/getNewsByColumns/350"
    entries = [e for p in sorted(api.glob("*.json"), key=lambda p: int(p.stem))
               for e in json.loads(p.read_text(encoding="utf-8"))["data"]["list"]]  # fmt: skip
    by_id = {e["code"]: e for e in entries}

    def list_pages(listed):
        for page in api.glob("*.json"):
            page.unlink()
        for number, start in enumerate(range(0, len(listed), 80), start=1):
            data = {
                "page_index": number,
                "page_size": 80,
                "totle_hits": len(listed),
                "list": listed[start : start + 80],
            }
            (api / f"{number}.json").write_text(json.dumps({"code": 1, "data": data}, ensure_ascii=False))

    list_pages([by_id[i] for i in old])
    server, base_url = serve(root, faults={r"/a/\d+\.html": ["delay:0.01*"]})
    try:
        stopped = start_crawl(base_url, tmp_path / "archive", "categories=350", "pages=4")
        while stopped.poll() is None and post_count(tmp_path / "archive") < 40:
            time.sleep(0.005)
        stopped.send_signal(signal.SIGTERM)
        assert stopped.wait(timeout=60) == 7
        now = datetime.now(SHANGHAI)
        fresh = [
            {**by_id[i], "showTime": (now + timedelta(seconds=160 - n)).strftime("%Y-%m-%d %H:%M:%S")}
            for n, i in enumerate(new)
        ]  # fmt: skip  (listed after the stop: within the clock-skew tolerance)
        list_pages(fresh + [by_id[i] for i in old])  # the old entries are now on pages 3 to 6
        scrapy_crawl(base_url, tmp_path / "archive", *SCHEDULED)
    finally:
        server.shutdown()
    written = {p.name[11:-3] for p in (tmp_path / "archive" / "_posts").glob("*.md")}
    assert written == {"NW" + i for i in ids}
    assert lock_state(tmp_path / "archive") == ("done", None)


@pytest.fixture
def small_disk(tmp_path):
    """A 192 KB tmpfs (root only): a disk that fills up during a crawl, and can be grown."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    need_root(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)])
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_stops_the_run_and_a_rerun_with_room_fills_the_gap(large_mirror, large_mirror_archive, small_disk):
    _, base_url = large_mirror
    archive = small_disk / "archive"
    stopped = scrapy_crawl(base_url, archive, *LARGE_MIRROR_ARGS, status=6)
    assert "No space left on device" in stopped.stderr and 0 < post_count(archive) < 320
    assert lock_state(archive)[0] == "interrupted"
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    scrapy_crawl(base_url, archive, *SCHEDULED)
    assert archive_files(archive) == large_mirror_archive


def test_a_run_whose_list_page_failed_is_not_clean(tmp_path):
    """A list page that could not be read leaves a possible gap: the next run reads every page."""
    root = tmp_path / "site"
    synthesize(root, 120, column=350, page_size=40)
    server, base_url = serve(root, faults={r"getNewsByColumns/350/2\.json": ["status:500"]})
    try:
        scrapy_crawl(base_url, tmp_path / "archive", "categories=350", RETRY_TIMES=0)
        state, plan = lock_state(tmp_path / "archive")
        assert (state, plan["pages"], plan["lists"]) == ("interrupted", 3, ["cgnjj"])
        scrapy_crawl(base_url, tmp_path / "archive", "categories=350")
    finally:
        server.shutdown()
    assert post_count(tmp_path / "archive") == 120
    assert lock_state(tmp_path / "archive") == ("done", None)


def test_a_first_sigterm_stops_within_seconds_while_a_big_page_is_parsed(tmp_path):
    root = tmp_path / "site"
    ids = synthesize(root, 30, column=350, page_size=30)
    page = root / f"finance.eastmoney.com/a/{ids[0]}.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(
        text.replace("<!--文章主体-->", "<!--文章主体--><p>正文" + "&nbsp;" * 600_000 + "</p>", 1)
    )  # 3.6 MB
    server, base_url = serve(root, faults={r"/a/\d+\.html": ["delay:0.2*"]})
    try:
        process = start_crawl(base_url, tmp_path / "archive", "categories=350", DOWNLOAD_MAXSIZE=8_000_000)
        deadline = time.monotonic() + 60
        while not any(ids[0] in path for path in server.requested) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the big page is downloaded and being parsed
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 7
        assert time.monotonic() - sent < 8
    finally:
        server.shutdown()
