"""Run a real `scrapy crawl` subprocess against a mirror served on loopback (for end-to-end tests)."""

import subprocess
from pathlib import Path

from crawler.archive.layout import COVERAGE_GLOB, LOCK_GLOB, WORKER_ID_GLOB
from fixtures.testing import crawl_command
from tests.conftest import REPO


def scrapy_crawl(base_url: str, archive: Path, *spider_args: str, status: int = 0, **settings):
    """Run the crawl to its end; returns the finished process, which must exit with `status`."""
    command = crawl_command(base_url, archive, *spider_args, **settings)
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == status, process.stderr[-3000:]
    return process


def start_crawl(
    base_url: str, archive: Path, *spider_args: str, log: Path | None = None, **settings
) -> subprocess.Popen:
    """Start the crawl in the background (its log into the file `log`, else discarded)."""
    command = crawl_command(base_url, archive, *spider_args, **settings)
    stderr = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it)
    try:
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)
    finally:
        if log:
            stderr.close()


def archive_files(archive: Path) -> dict[str, str]:
    """Every file of an archive (but its lock files, worker ids and coverage histories) by relative path, with its text."""
    own = (LOCK_GLOB, WORKER_ID_GLOB, COVERAGE_GLOB)  # the runs' state, not what they archived
    files = sorted(p for p in archive.rglob("*") if p.is_file() and not any(p.match(glob) for glob in own))
    return {str(p.relative_to(archive)): p.read_text(encoding="utf-8") for p in files}
