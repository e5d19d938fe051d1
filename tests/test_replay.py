"""`scrapy archive replay WARC...`: the archive re-derived from the pages the crawl captured, no network.

What a replay promises:
- into an empty folder, it writes byte for byte the archive the crawls wrote (with no server listening);
- into an archive, it adds only the posts missing;
- with --rewrite after a parser change, it writes again exactly the posts whose parse changed, and names each;
- a file that is no WARC of finews-crawler (a FIFO, text, another tool's WARC) is refused before anything runs.
"""

import gzip
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.warcfile import HEADROOM, NotAWarc, downloads, spider_of
from fixtures.testing import scrapy_command, serve
from tests.conftest import REPO
from tests.crawl import archive_files, scrapy_crawl

# Files a run keeps beside the posts that are about that run, not the archive's content.
RUN_FILES = (".finews.eastmoney.", ".finews.eastmoney_724.")


def content(archive: Path) -> dict[str, str]:
    return {name: text for name, text in archive_files(archive).items() if not name.startswith(RUN_FILES)}


def warc_file(
    path: Path,
    records: list[tuple[str, int, bytes, dict]],
    spider: str | None = "eastmoney",
    started: str = "20261206T010203Z",
) -> Path:
    """A WARC file as the capture writes it: a warcinfo naming `spider`, then (url, status, body, headers) responses."""
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    if spider is not None:
        writer.write_record(writer.create_warcinfo_record(path.name, {"isPartOf": f"finews-{spider}-{started}"}))
    for url, status, body, headers in records:
        http = StatusAndHeaders(f"{status} OK", list(headers.items()), protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))
    path.write_bytes(buffer.getvalue())
    return path


def replay(archive: Path, *argv: str, python: str | None = None) -> subprocess.CompletedProcess:
    """`scrapy archive replay ARGV` into `archive`; `python`: code the child runs first (a test's parser change)."""
    command = scrapy_command("archive", "replay", *argv, settings={"FINEWS_ARCHIVE_DIR": str(archive)})
    if python:  # the same command, after the change: python -c "<change>; scrapy's main"
        command = [sys.executable, "-c", f"{python}\nfrom scrapy.cmdline import execute\nexecute()", *command[3:]]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


# --- reading WARC files back -------------------------------------------------------------------


def test_a_file_names_the_spider_whose_crawl_wrote_it(tmp_path):
    assert spider_of(warc_file(tmp_path / "a.warc.gz", [], spider="eastmoney_724")) == "eastmoney_724"


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.write_text("not a warc\n"),
        lambda p: p.write_bytes(gzip.compress(b"WARC/1.1\r\nbroken")),
        lambda p: warc_file(p, [], spider=None),  # another tool's WARC: no finews warcinfo
        lambda p: os.mkfifo(p),  # never waited on
        lambda p: p.mkdir(),
    ],
    ids=["text", "damaged", "another-tools-warc", "fifo", "folder"],
)
def test_anything_else_is_refused(tmp_path, make):
    path = tmp_path / "x.warc.gz"
    make(path)
    with pytest.raises(NotAWarc):
        spider_of(path)


def test_responses_come_back_as_received_and_oversized_records_are_skipped(tmp_path):
    page = gzip.compress("<html><body>新闻</body></html>".encode())
    path = warc_file(
        tmp_path / "a.warc.gz",
        [
            ("http://127.0.0.1/a/1.html", 200, page, {"Content-Encoding": "gzip"}),
            ("http://127.0.0.1/big", 200, b"x" * (HEADROOM + 2000), {}),  # inflated in pieces, thrown away
            ("http://127.0.0.1/" + "u" * (HEADROOM + 2000), 200, b"", {}),  # a header line as large
            ("http://127.0.0.1/gone", 404, b"", {"Content-Type": "text/html"}),
        ],
    )
    got = list(downloads(path, max_bytes=1000))
    assert [(d.url, d.status, d.body) for d in got] == [
        ("http://127.0.0.1/a/1.html", 200, page),  # the content encoding is the crawl's to undo, as it did
        ("http://127.0.0.1/gone", 404, b""),
    ]
    assert ("Content-Encoding", "gzip") in got[0].headers
    assert {d.run for d in got} == {"finews-eastmoney-20261206T010203Z"}


def test_a_url_with_control_characters_is_no_url(tmp_path):
    path = warc_file(
        tmp_path / "a.warc.gz", [("http://ev\x1bil.example/a/1.html", 200, b"x", {}), ("http://ok/", 200, b"y", {})]
    )
    assert [d.url for d in downloads(path, 1000)] == ["http://ok/"]


def test_files_joined_with_cat_keep_each_run_and_skip_another_spiders_records(tmp_path):
    first = warc_file(tmp_path / "1.warc.gz", [("http://a/1", 200, b"1", {})])
    other = warc_file(tmp_path / "2.warc.gz", [("http://b/2", 200, b"2", {})], spider="eastmoney_724")
    again = warc_file(tmp_path / "3.warc.gz", [("http://a/1", 200, b"1", {})], started="20261206T020304Z")
    joined = tmp_path / "joined.warc.gz"
    joined.write_bytes(first.read_bytes() + other.read_bytes() + again.read_bytes())
    got = [(d.url, d.run) for d in downloads(joined, 1000)]
    assert got == [
        ("http://a/1", "finews-eastmoney-20261206T010203Z"),
        ("http://a/1", "finews-eastmoney-20261206T020304Z"),
    ]


def test_a_damaged_tail_keeps_the_records_before_it(tmp_path):
    path = warc_file(tmp_path / "a.warc.gz", [(f"http://127.0.0.1/{n}", 200, b"page", {}) for n in range(3)])
    data = path.read_bytes()
    path.write_bytes(data + b"\x1f\x8b\x08\x00garbage")
    assert len(list(downloads(path, 1000))) == 3


# --- the command -------------------------------------------------------------------------------


def test_replay_needs_files_and_refuses_what_is_no_finews_warc(tmp_path):
    assert replay(tmp_path / "archive").returncode == 2
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    done = replay(tmp_path / "archive", str(text))
    assert done.returncode == 2 and "notes.txt" in done.stderr and not (tmp_path / "archive").exists()
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """Both spiders crawled the mirror with WARC capture on: (their archive, the WARC files)."""
    root = tmp_path_factory.mktemp("captured")
    server, base_url = serve()
    try:
        for spider in ("eastmoney", "eastmoney_724"):
            scrapy_crawl(base_url, root / "archive", spider=spider, FINEWS_WARC_DIR=str(root / "warc"))
    finally:
        server.shutdown()
        server.server_close()
    return root / "archive", sorted(str(path) for path in (root / "warc").glob("*.warc.gz"))


@pytest.mark.slow
def test_into_an_empty_folder_a_replay_writes_what_the_crawls_wrote(captured, tmp_path):
    crawled, warcs = captured  # the server is gone: nothing is listening
    done = replay(tmp_path / "replayed", *warcs)
    assert done.returncode == 0, done.stderr[-3000:]
    assert content(tmp_path / "replayed") == content(crawled)
    assert len([name for name in content(crawled) if name.startswith("_posts/")]) > 60


@pytest.mark.slow
def test_into_an_archive_a_replay_adds_only_the_missing_posts(captured, tmp_path):
    crawled, warcs = captured
    archive = tmp_path / "archive"
    subprocess.run(["cp", "-a", str(crawled), str(archive)], check=True)
    posts = sorted((archive / "_posts").glob("*.md"))
    for lost in posts[:3]:
        lost.unlink()
    kept = {path: path.stat().st_mtime_ns for path in posts[3:]}
    done = replay(archive, *warcs)
    assert done.returncode == 0, done.stderr[-3000:]
    assert content(archive) == content(crawled)
    assert {path: path.stat().st_mtime_ns for path in posts[3:]} == kept  # untouched


# A parser change for the test: titles with 股 gain a mark (the child process applies it before the command).
TITLE_CHANGE = """
import crawler.parsers, crawler.parsers.article as article
from dataclasses import replace
def mark(item):
    return replace(item, title=item.title + "（修订）") if "股" in item.title else item
def changed(parse):
    def parse_and_mark(*args, **kwargs):
        result = parse(*args, **kwargs)
        return (mark(result[0]), *result[1:]) if isinstance(result, tuple) else mark(result)
    return parse_and_mark
for name in [name for name in vars(article) if name.startswith("parse_article")]:  # with its provenance, or not
    setattr(article, name, changed(getattr(article, name)))
    setattr(crawler.parsers, name, getattr(article, name))
"""


@pytest.mark.slow
def test_after_a_parser_change_rewrite_writes_again_exactly_the_posts_it_changes(captured, tmp_path):
    crawled, warcs = captured
    archive = tmp_path / "archive"
    subprocess.run(["cp", "-a", str(crawled), str(archive)], check=True)
    before = content(archive)
    assert replay(archive, *warcs, python=TITLE_CHANGE).returncode == 0  # without --rewrite: nothing changes
    assert content(archive) == before
    done = replay(archive, "--rewrite", *warcs, python=TITLE_CHANGE)
    assert done.returncode == 0, done.stderr[-3000:]
    after = content(archive)
    changed = sorted(name for name in before if after.get(name) != before[name])
    per_media = [name for name in before if name.startswith("_posts/") and "-NW" in name]  # 7x24 titles are the feed's
    expected = sorted(name for name in per_media if _title_has(before[name], "股"))
    assert changed == expected and len(expected) >= 3
    assert set(after) == set(before)
    for name in changed:
        assert f"Rewrote {name}: title changed" in done.stderr
        assert after[name].replace("（修订）", "", 1) == before[name]


def _title_has(post: str, text: str) -> bool:
    title = next(line for line in post.splitlines() if line.startswith("title:"))
    return text in title


@pytest.mark.slow
def test_brotli_bodies_bombs_and_parser_breaking_records_cost_one_record_each(captured, tmp_path):
    """The captured pages again, br-encoded as East Money may send them, after records made to hurt: a
    body that inflates past DOWNLOAD_MAXSIZE, a list whose nesting breaks the JSON parser, a header
    line of megabytes. Each is one record lost; the archive is the crawl's all the same."""
    import brotli

    crawled, warcs = captured
    hostile = [
        ("http://127.0.0.1/bomb", 200, gzip.compress(b"0" * (20 << 20)), {"Content-Encoding": "gzip"}),
        ("http://127.0.0.1/api/list?column=350", 200, b"[" * 200_000 + b"]" * 200_000, {}),
        ("http://127.0.0.1/" + "u" * (3 << 20), 200, b"", {}),
    ]
    files = []
    for n, path in enumerate(warcs):
        spider = spider_of(path)
        records = [
            (d.url, d.status, brotli.compress(d.body), {**dict(d.headers), "Content-Encoding": "br"})
            for d in downloads(path, 10 << 20)
        ]
        files.append(str(warc_file(tmp_path / f"finews-{spider}-{n}.warc.gz", hostile + records, spider=spider)))
    done = replay(tmp_path / "replayed", *files)
    assert done.returncode == 0, done.stderr[-3000:]
    assert content(tmp_path / "replayed") == content(crawled)
    assert "RecursionError" in done.stderr or "not replayed" in done.stderr


def test_a_replay_of_pages_that_give_no_article_fails_as_the_crawl_would(tmp_path):
    """The failure ratio holds in a replay: the pages it reads are the articles it asked for."""
    broken = [
        ("http://127.0.0.1/a/202601011234567890.html", 200, b"<html><body><p>maintenance</p></body></html>", {}),
        ("http://127.0.0.1/a/202601011234567891.html", 200, b"%PDF-1.4", {"Content-Type": "application/pdf"}),
        ("http://127.0.0.1/a/202601011234567892.html", 503, b"", {}),
    ]
    done = replay(tmp_path / "archive", str(warc_file(tmp_path / "a.warc.gz", broken)))
    assert done.returncode == 5, done.stderr[-2000:]
    assert not list((tmp_path / "archive" / "_posts").glob("*.md"))
