"""Run a real `scrapy crawl` subprocess against a mirror served on loopback (for end-to-end tests)."""

import subprocess
import sys
from pathlib import Path

from crawler.mirror import mirror_settings
from pipelines.archive import LOCK_NAME
from tests.conftest import REPO


def scrapy_crawl(base_url: str, archive: Path, *spider_args: str, spider: str = "eastmoney", **settings):
    """`scrapy crawl <spider>` into `archive` against the mirror at `base_url`; returns the finished process."""
    options = {**mirror_settings(base_url), "FINEWS_ARCHIVE_DIR": str(archive), **settings}
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for arg in spider_args:
        command += ["-a", arg]
    for name, value in options.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr[-3000:]
    return process


def archive_files(archive: Path) -> dict[str, str]:
    """Every file of an archive (but its lock file) by relative path, with its text."""
    files = sorted(p for p in archive.rglob("*") if p.is_file() and p.name != LOCK_NAME)
    return {str(p.relative_to(archive)): p.read_text(encoding="utf-8") for p in files}
