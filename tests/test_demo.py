"""`scrapy demo` end to end, as a newcomer runs it: both feeds crawled from the bundled mirror, the site
built with every link working on a local server, a quiet log, a second run that writes nothing, a
failure said in one line, `--serve`; and the same command from the installed package.

Needs jekyll (tests.conftest.need_tool: skipped locally without it, failed under CI=true).
"""

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from crawler.archive import layout
from crawler.exitstatus import ExitStatus
from tests import test_install
from tests.conftest import REPO, need_tool

PRODUCTION_HOSTS = ("withounder.com", "zning.xyz")
LOUD = re.compile(r"WARNING|ERROR")
installed = test_install.installed  # the package installed with pip (module scope: one install here)

pytestmark = pytest.mark.slow  # every test runs `scrapy demo` (a crawl, a Jekyll build) or an install


def demo(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scrapy", "demo", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def loud_lines(process: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (process.stdout + process.stderr).splitlines() if LOUD.search(line)]


def archive_files(archive: Path) -> dict[str, tuple[bytes, int]]:
    """What the crawls wrote: every file but the built site and the project's own (locks), with its mtime."""
    return {
        path.relative_to(archive).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(archive.rglob("*"))
        if path.is_file()
        and path.relative_to(archive).parts[0] != layout.SITE_DIR
        and not layout.is_own_file(path.name)
    }


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A first `scrapy demo ARCHIVE_DIR` in a new folder: (archive, its process)."""
    need_tool("jekyll")
    archive = tmp_path_factory.mktemp("demo") / "archive"
    return archive, demo(str(archive))


def test_a_clean_demo_crawls_both_feeds_builds_the_site_and_says_no_warning(demo_run):
    archive, process = demo_run
    assert process.returncode == ExitStatus.OK, process.stdout + process.stderr[-3000:]
    assert loud_lines(process) == []
    assert process.stderr == ""
    per_media = list((archive / layout.POSTS_DIR).glob("*-NW*.md"))
    fast_news = [p for p in (archive / layout.POSTS_DIR).glob("*.md") if re.fullmatch(r".*-[0-9]+\.md", p.name)]
    assert len(per_media) == 60 and len(fast_news) >= 20
    assert (archive / layout.SITE_DIR / "index.html").is_file()
    lines = process.stdout.splitlines()
    assert "  eastmoney (per-media news): 60 new posts" in lines
    assert f"  eastmoney_724 (东财滚动新闻): {len(fast_news)} new posts" in lines
    assert f"Site: {archive / layout.SITE_DIR} ({len(per_media) + len(fast_news)} posts, with search)" in lines
    assert lines[-1] == (
        f"Open it with: scrapy demo {archive} --serve  (or: python3 -m http.server -d {archive / layout.SITE_DIR} 8000)"
    )


class Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def test_every_link_of_the_built_site_works_on_a_local_server(demo_run):
    """Served at http://127.0.0.1:PORT/: every link on 127.0.0.1 (site-relative ones, the share links)
    is a file of the site (/x/ is /x/index.html); none goes to the production hosts."""
    archive, process = demo_run
    assert process.returncode == ExitStatus.OK, process.stderr[-3000:]
    site = archive / layout.SITE_DIR
    pages = sorted(site.rglob("*.html"))
    broken, production, checked = [], [], 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if any(host in text for host in PRODUCTION_HOSTS):
            production.append(page.relative_to(site).as_posix())
        parser = Links()
        parser.feed(text)
        page_url = f"http://127.0.0.1:8000/{page.relative_to(site).as_posix()}"
        for link in parser.found:
            parts = urlsplit(urljoin(page_url, link))
            if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
                continue  # mailto:, data:, and East Money's pages and images
            target = site / unquote(parts.path).lstrip("/")
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {link}")
    assert production == []
    assert broken == []
    assert len(pages) >= 100 and checked >= 1000
    assert (site / "emnews" / "index.html").is_file()  # the 7x24 link of every page's navigation


def test_a_second_run_writes_nothing_new(demo_run):
    archive, first = demo_run
    assert first.returncode == ExitStatus.OK, first.stderr[-3000:]
    before = archive_files(archive)
    again = demo(str(archive))
    assert again.returncode == ExitStatus.OK, again.stdout + again.stderr[-3000:]
    assert loud_lines(again) == []
    assert "  eastmoney (per-media news): 0 new posts" in again.stdout.splitlines()
    assert "  eastmoney_724 (东财滚动新闻): 0 new posts" in again.stdout.splitlines()
    assert archive_files(archive) == before
    assert (archive / layout.SITE_DIR / "index.html").is_file()


def test_a_file_as_archive_dir_fails_in_one_line(tmp_path):
    file = tmp_path / "not-a-folder"
    file.write_text("x", encoding="utf-8")
    process = demo(str(file))
    assert process.returncode == ExitStatus.NOT_WRITABLE
    assert process.stdout == ""
    assert process.stderr.splitlines() == [f"scrapy demo: {file} is a file, not a folder: give the demo a folder"]
    assert file.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["one", "two"], "at most one ARCHIVE_DIR, not 2"),
        (["--port", "8001"], "--port goes with --serve"),
        (["--serve", "--port", "http"], "argument --port: invalid int value: 'http'"),
        (["--serve", "--port", "70000"], "--port must be from 0 to 65535, not 70000"),
        (["-s", "FINEWS_LIST_PAGE_SIZE=5"], "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
    ],
)
def test_usage_errors_in_one_line(tmp_path, args, message):
    process = demo(*args, cwd=REPO)
    assert process.returncode == ExitStatus.USAGE
    assert process.stdout == ""
    assert len(process.stderr.splitlines()) == 1
    assert process.stderr.startswith(f"scrapy demo: {message}")


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_serves_the_site_on_loopback_until_stopped(tmp_path, stop):
    need_tool("jekyll")
    archive = tmp_path / "archive"
    command = [sys.executable, "-m", "scrapy", "demo", str(archive), "--serve", "--port", "0"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        deadline, said = time.monotonic() + 240, []
        while not any(line.startswith("Serving ") for line in said):
            assert time.monotonic() < deadline and process.poll() is None, "".join(said)
            with contextlib.suppress(queue.Empty):
                said.append(lines.get(timeout=1))
        url = re.search(r"at (http://127\.0\.0\.1:[0-9]+/) ", said[-1]).group(1)
        for path in ("", "emnews/"):
            with urllib.request.urlopen(url + path, timeout=10) as answer:
                assert answer.status == 200
        post = next((archive / layout.SITE_DIR).rglob("NW*.html")).read_text(encoding="utf-8")
        share = re.search(r'href="(http://127\.0\.0\.1:[0-9]+/\?infoCode=NW[0-9]+)"', post).group(1)
        assert share.startswith(url)  # the share links name the port the site is served on
        with urllib.request.urlopen(share, timeout=10) as answer:
            assert answer.status == 200
        process.send_signal(stop)
        assert process.wait(timeout=20) == ExitStatus.OK
        assert LOUD.search(process.stderr.read()) is None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_scrapy_demo_from_the_installed_package(installed, tmp_path):
    """The checkout beside the installed package: scrapy.cfg, fixtures/ (the mirror) and site/ (the template)."""
    need_tool("jekyll")
    target, checkout = installed
    if not (checkout / "site").exists():
        shutil.copytree(REPO / "site", checkout / "site", ignore=shutil.ignore_patterns("__pycache__", "_site"))
    env = {**os.environ, "PYTHONPATH": str(target)}
    process = demo(str(tmp_path / "demo"), cwd=checkout, env=env)
    assert process.returncode == ExitStatus.OK, process.stdout + process.stderr[-3000:]
    assert "  eastmoney (per-media news): 60 new posts" in process.stdout.splitlines()
    assert loud_lines(process) == []
    assert len(list((tmp_path / "demo" / layout.POSTS_DIR).glob("*-NW*.md"))) == 60
    assert (tmp_path / "demo" / layout.SITE_DIR / "index.html").is_file()


def test_scrapy_demo_outside_a_checkout_says_what_it_needs(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(REPO / "scrapy.cfg", elsewhere)  # a project folder, but no fixtures/
    env = {**os.environ, "PYTHONPATH": str(installed[0])}
    process = demo(cwd=elsewhere, env=env)
    assert process.returncode == ExitStatus.USAGE
    assert process.stderr.strip().splitlines() == [
        "scrapy demo: run it in a finews-crawler checkout (it needs fixtures/testing.py beside scrapy.cfg)"
    ]
    assert process.stdout == ""
