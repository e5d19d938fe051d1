"""Progress of a running crawl: the text as a pure function of stats and time, and the live display."""

import os
import pty
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from crawler.extensions.progress import progress_text
from crawler.items import SHANGHAI
from fixtures.testing import crawl_command, serve
from tests.conftest import REPO

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
TEN_MINUTES_IN = START + timedelta(minutes=10)


def backfill(**stats) -> dict:
    """Stats of a backfill to 2026-10-22 over two lists, whose newest entry is of 2026-11-20 (30 days to go)."""
    return {
        "start_time": START,
        "finews/progress/since": "2026-10-22",
        "finews/progress/lists": 2,
        "finews/progress/newest_day": "2026-11-20",
        "finews/posts/written": 150,
        **stats,
    }


def test_scheduled_run_shows_posts_rate_and_lists():
    stats = {"start_time": START, "finews/posts/written": 10, "finews/lists/read": 3, "finews/lists/read/cgnjj": 2,
             "finews/lists/read/cgjjj": 1, "finews/progress/oldest_day/cgnjj": "2026-11-19",
             "finews/progress/oldest_day/cgjjj": "2026-11-20"}  # fmt: skip
    assert progress_text(stats, START + timedelta(minutes=2)) == (
        "progress after 2 min 00 s: 10 new posts (5.0/min); "
        "list pages read 3: cgjjj 1 (to 2026-11-20), cgnjj 2 (to 2026-11-19)"
    )


def test_backfill_estimates_the_time_left_from_the_days_gone_through():
    stats = backfill(**{"finews/lists/read": 12, "finews/lists/read/cgnjj": 5, "finews/lists/read/cgjjj": 7,
                        "finews/progress/oldest_day/cgnjj": "2026-11-05",  # 15 of 30 days: half way
                        "finews/progress/oldest_day/cgjjj": "2026-10-21"})  # past since: done  # fmt: skip
    assert progress_text(stats, TEN_MINUTES_IN) == (
        "progress after 10 min 00 s: 150 new posts (15.0/min); "
        "list pages read 12: cgjjj 7 (to 2026-10-21), cgnjj 5 (to 2026-11-05); "
        "75% of the way back to 2026-10-22, about 3 min 20 s left"
    )
    assert progress_text(stats, TEN_MINUTES_IN, compact=True) == (
        "10 min 00 s: 150 new posts (15.0/min), back to 2026-10-21, 75% to 2026-10-22, 3 min 20 s left"
    )


def test_a_list_not_read_yet_has_not_started():
    stats = backfill(**{"finews/lists/read/cgnjj": 5, "finews/progress/oldest_day/cgnjj": "2026-11-05"})
    assert progress_text(stats, TEN_MINUTES_IN).endswith("25% of the way back to 2026-10-22, about 30 min 00 s left")


def test_backfill_before_any_list_is_read():
    text = progress_text(backfill(**{"finews/posts/written": 0, "finews/progress/newest_day": None}), START)
    assert text == (
        "progress after 0.0 s: 0 new posts (-/min); list pages read 0; "
        "0% of the way back to 2026-10-22, time left not known yet"
    )


def test_backfill_whose_lists_all_reached_since():
    stats = backfill(**{"finews/progress/oldest_day/cgnjj": "2026-10-01",
                        "finews/progress/oldest_day/cgjjj": "2026-10-21"})  # fmt: skip
    assert progress_text(stats, TEN_MINUTES_IN).endswith("every list is back to 2026-10-22, finishing the articles")
    assert progress_text(stats, TEN_MINUTES_IN, compact=True).endswith(", lists back to 2026-10-22")


@pytest.mark.slow
def test_crawl_logs_progress_and_keeps_a_status_line_on_a_terminal(tmp_path):
    """A backfill with stderr on a pseudo-terminal: progress log lines, and the redrawn one-line display."""
    server, base_url = serve(faults={r"/a/\d+\.html": ["delay:0.1*"]})  # a crawl of a few seconds
    command = crawl_command(base_url, tmp_path, "since=2020-01-01", FINEWS_PROGRESS_INTERVAL=0.2)
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower)
        os.close(follower)
        output = b""
        while chunk := _read(leader):
            output += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(leader)
        server.shutdown()
    text = output.decode("utf-8")
    assert "[crawler.extensions.progress] INFO: progress after " in text
    assert "% of the way back to 2020-01-01" in text
    redraws = [part for part in text.split("\r\x1b[K") if re.match(r"[\d.]+ s: \d+ new posts \(", part)]
    assert any("% to 2020-01-01" in part for part in redraws), text[-3000:]
    assert not [part for part in redraws if "\n" in part]  # each log line first wiped the display line
    assert text.endswith("Spider closed (finished)\r\n")  # and the display is gone at the end


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the crawl has closed the terminal
        return b""


def test_one_new_post_is_one_new_post():
    from crawler.extensions.progress import progress_text

    assert "1 new post (" in progress_text({"finews/posts/written": 1}, datetime.now(SHANGHAI))
