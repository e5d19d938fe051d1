"""Run a real `scrapy crawl` subprocess against a mirror served on loopback (for end-to-end tests)."""

import subprocess
import sys
from pathlib import Path

from crawler.mirror import mirror_settings
from pipelines.archive import LOCK_GLOB
from tests.conftest import REPO


def crawl_command(
    base_url: str, archive: Path, *spider_args: str, spider: str = "eastmoney", output: Path | None = None, **settings
) -> list[str]:
    """The `scrapy crawl <spider>` command line that crawls the mirror at `base_url` into `archive` (`-O output`)."""
    options = {**mirror_settings(base_url), "FINEWS_ARCHIVE_DIR": str(archive), **settings}
    command = [sys.executable, "-m", "scrapy", "crawl", spider] + (["-O", str(output)] if output else [])
    for arg in spider_args:
        command += ["-a", arg]
    for name, value in options.items():
        command += ["-s", f"{name}={value}"]
    return command


def scrapy_crawl(base_url: str, archive: Path, *spider_args: str, status: int = 0, **settings):
    """Run the crawl to its end; returns the finished process, which must exit with `status`."""
    command = crawl_command(base_url, archive, *spider_args, **settings)
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == status, process.stderr[-3000:]
    return process


def start_crawl(base_url: str, archive: Path, *spider_args: str, **settings) -> subprocess.Popen:
    """Start the crawl in the background (output discarded)."""
    command = crawl_command(base_url, archive, *spider_args, **settings)
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def archive_files(archive: Path) -> dict[str, str]:
    """Every file of an archive (but its lock files) by relative path, with its text."""
    files = sorted(p for p in archive.rglob("*") if p.is_file() and not p.match(LOCK_GLOB))
    return {str(p.relative_to(archive)): p.read_text(encoding="utf-8") for p in files}
