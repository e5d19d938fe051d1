"""WARC capture (FINEWS_WARC_DIR): every downloaded page as request/response records warcio reads back.

The crawls here (slow) check the files against the bytes the mirror served, rotation by size, and a
run killed with SIGKILL mid-crawl; the fast tests drive the extension directly.
"""

import fcntl
import gzip
import os
import signal
import time
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler.config import check_settings
from crawler.extensions.warc import OPEN_SUFFIX, SUFFIX, WarcCapture, complete_length, recover
from crawler.spiders.eastmoney import EastMoneySpider
from fixtures.testing import FIXTURE_SITE, serve
from tests.conftest import LARGE_MIRROR_ARGS, project_settings
from tests.crawl import scrapy_crawl, start_crawl


def read_records(path) -> list:
    """Every record of a WARC file as (type, WARC headers, HTTP headers, raw payload bytes)."""
    return read_records_of(path.read_bytes())


def read_records_of(data: bytes) -> list:
    return [
        (record.rec_type, record.rec_headers, record.http_headers, record.raw_stream.read())
        for record in ArchiveIterator(BytesIO(data))
    ]


def capture(tmp_path, **settings) -> WarcCapture:
    crawler = get_crawler(EastMoneySpider, project_settings(FINEWS_WARC_DIR=str(tmp_path / "warc"), **settings))
    crawler.stats.open_spider()
    extension = WarcCapture.from_crawler(crawler)
    extension.spider_opened(None)
    return extension


def download(extension, url: str, body: bytes, headers: dict | None = None, status: int = 200) -> None:
    request = Request(url, headers={"User-Agent": "test-agent", "Accept-Encoding": "gzip"})
    response = Response(url, status=status, headers=headers or {}, body=body, request=request, protocol="HTTP/1.1")
    extension.response_downloaded(response, request, None)


def test_off_by_default():
    crawler = get_crawler(EastMoneySpider, project_settings())
    with pytest.raises(NotConfigured):
        WarcCapture.from_crawler(crawler)


@pytest.mark.parametrize("value", ["0", "-5", "big", "1.5"])
def test_the_size_limit_is_a_positive_whole_number(value):
    with pytest.raises(ValueError, match="FINEWS_WARC_MAX_BYTES"):
        check_settings(Settings(project_settings(FINEWS_WARC_MAX_BYTES=value)))


@pytest.mark.parametrize("inside", ["warc", "_posts/warc", "."])
def test_the_warc_folder_is_never_inside_the_archive(tmp_path, inside):
    """Publish would commit the pages, and the site serve them."""
    archive = tmp_path / "archive"
    with pytest.raises(ValueError, match="FINEWS_WARC_DIR must be a folder outside the archive"):
        check_settings(
            Settings(project_settings(FINEWS_ARCHIVE_DIR=str(archive), FINEWS_WARC_DIR=str(archive / inside)))
        )
    (tmp_path / "link").symlink_to(archive, target_is_directory=True)
    archive.mkdir()
    with pytest.raises(ValueError, match="FINEWS_WARC_DIR"):  # through a link to it
        check_settings(
            Settings(project_settings(FINEWS_ARCHIVE_DIR=str(archive), FINEWS_WARC_DIR=str(tmp_path / "link")))
        )
    check_settings(Settings(project_settings(FINEWS_ARCHIVE_DIR=str(archive), FINEWS_WARC_DIR=str(tmp_path / "warc"))))


def test_a_pair_is_recorded_as_downloaded_still_gzip_encoded(tmp_path):
    extension = capture(tmp_path)
    page = "<html><body>东方财富</body></html>".encode()
    encoded = gzip.compress(page)
    url = "https://finance.eastmoney.com/a/202609183874238410.html?x=1"
    download(extension, url, encoded, {"Content-Encoding": "gzip", "Content-Type": "text/html"})
    extension.spider_closed(None, "finished")
    [path] = (tmp_path / "warc").iterdir()
    assert path.name.startswith("finews-eastmoney-") and path.name.endswith("-00001" + SUFFIX)
    info, response, request = read_records(path)
    assert info[0] == "warcinfo" and b"software: finews-crawler" in info[3]
    assert response[0] == "response" and request[0] == "request"
    assert response[1].get_header("WARC-Target-URI") == request[1].get_header("WARC-Target-URI") == url
    assert request[1].get_header("WARC-Concurrent-To") == response[1].get_header("WARC-Record-ID")
    assert request[1].get_header("WARC-Date") == response[1].get_header("WARC-Date")
    assert response[2].get_statuscode() == "200" and response[2].statusline == "200 OK"
    assert response[2].get_header("Content-Encoding") == "gzip"
    assert response[2].get_header("Content-Length") == str(len(encoded))
    assert response[3] == encoded  # the bytes as downloaded, before Scrapy's decompression
    assert request[2].protocol == "GET" and request[2].statusline.startswith("/a/202609183874238410.html?x=1 ")
    assert request[2].get_header("Host") == "finance.eastmoney.com"
    assert request[2].get_header("User-Agent") == "test-agent"
    with open(path, "rb") as stream:  # warcio undoes the Content-Encoding for readers
        records = list(ArchiveIterator(stream))
    assert len(records) == 3
    stats = extension.stats.get_stats()
    assert (stats["warc/records"], stats["warc/files"], stats["warc/bytes"]) == (3, 1, path.stat().st_size)


def test_files_rotate_by_size_and_each_starts_with_warcinfo(tmp_path):
    extension = capture(tmp_path, FINEWS_WARC_MAX_BYTES=2000)
    for n in range(6):
        download(extension, f"http://127.0.0.1:8000/a/{n}.html", os.urandom(1500))
    extension.spider_closed(None, "finished")
    paths = sorted((tmp_path / "warc").iterdir())
    assert [p.name[-len("00001" + SUFFIX) :] for p in paths] == [f"{n:05d}{SUFFIX}" for n in range(1, 7)]
    for path in paths:
        types = [r[0] for r in read_records(path)]
        assert types == ["warcinfo", "response", "request"]


def length_of(path) -> int:
    fd = os.open(path, os.O_RDONLY)
    try:
        return complete_length(fd)
    finally:
        os.close(fd)


def test_a_leftover_that_is_no_file_of_its_own_is_never_opened_and_a_damaged_one_never_deleted(tmp_path):
    """A FIFO (no hang), a symbolic link (its target untouched), a folder: left as they are. A file
    whose first record is damaged is renamed .damaged, not deleted. A gzip bomb costs no memory."""
    folder = tmp_path / "warc"
    folder.mkdir()
    old = 1_000_000_000  # mtime far in the past: no run is about to take them
    fifo = folder / ("a" + OPEN_SUFFIX)
    os.mkfifo(fifo)
    victim = tmp_path / "victim.gz"
    victim.write_bytes(gzip.compress(b"kept", mtime=0) + b"trailing bytes")
    link = folder / ("b" + OPEN_SUFFIX)
    link.symlink_to(victim)
    (folder / ("c" + OPEN_SUFFIX)).mkdir()
    damaged = folder / ("d" + OPEN_SUFFIX)
    damaged.write_bytes(b"no gzip at all" * 100)
    bomb = folder / ("e" + OPEN_SUFFIX)
    bomb.write_bytes(gzip.compress(b"\0" * (64 << 20)) + b"cut")
    for path in (fifo, damaged, bomb):
        os.utime(path, (old, old))
    for path in (fifo, link, folder / ("c" + OPEN_SUFFIX)):
        assert recover(path) is None and os.path.lexists(path)
    assert victim.read_bytes() == gzip.compress(b"kept", mtime=0) + b"trailing bytes"
    assert recover(damaged) is None and not damaged.exists()
    assert (folder / ("d" + SUFFIX + ".damaged")).read_bytes() == b"no gzip at all" * 100
    assert recover(bomb).stat().st_size == len(gzip.compress(b"\0" * (64 << 20)))


def test_a_killed_runs_open_file_is_cut_to_whole_records_and_renamed(tmp_path):
    extension = capture(tmp_path)
    for n in range(3):
        download(extension, f"http://127.0.0.1:8000/a/{n}.html", b"x" * 5000)
    [open_file] = (tmp_path / "warc").iterdir()
    assert open_file.name.endswith(OPEN_SUFFIX)
    whole = open_file.stat().st_size
    assert recover(open_file) is None  # still held by the extension: left alone
    os.close(extension.fd)  # the run is killed: its lock goes, a record is half written
    with open(open_file, "ab") as file:
        file.write(gzip.compress(b"WARC/1.1\r\n" + b"y" * 5000)[:-40])
    assert length_of(open_file) == whole
    kept = recover(open_file)
    assert kept.name.endswith(SUFFIX) and not open_file.exists() and kept.stat().st_size == whole
    assert [r[0] for r in read_records(kept)] == ["warcinfo", *["response", "request"] * 3]


def test_an_open_file_another_run_holds_is_left_alone(tmp_path):
    folder = tmp_path / "warc"
    folder.mkdir()
    held = folder / ("finews-eastmoney-20261206T000000Z-00001" + OPEN_SUFFIX)
    held.write_bytes(gzip.compress(b"WARC/1.1\r\n"))
    with open(held, "rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        capture(tmp_path)
        assert held.exists()


# --- real crawls of the mirror -----------------------------------------------------------------


def served_file(url: str):
    """The file of the bundled mirror a mirror URL served."""
    return FIXTURE_SITE / urlsplit(url).path.lstrip("/")


@pytest.mark.slow
def test_a_crawl_records_every_download_with_the_bytes_served(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", FINEWS_WARC_DIR=str(tmp_path / "warc"))
    finally:
        server.shutdown()
    paths = sorted((tmp_path / "warc").iterdir())
    assert len(paths) == 1 and paths[0].name.startswith("finews-eastmoney-") and paths[0].name.endswith(SUFFIX)
    records = read_records(paths[0])
    assert records[0][0] == "warcinfo"
    responses = {r[1].get_header("WARC-Record-ID"): r for r in records if r[0] == "response"}
    requests = [r for r in records if r[0] == "request"]
    assert len(responses) == len(requests) == len(server.requested) == len(records) // 2
    assert {r[1].get_header("WARC-Concurrent-To") for r in requests} == set(responses)
    served = {}
    for _, headers, http, payload in responses.values():
        url = headers.get_header("WARC-Target-URI")
        assert http.get_statuscode() == "200" and headers.get_header("WARC-IP-Address") == "127.0.0.1"
        assert payload == served_file(url).read_bytes(), url
        served[urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")] = payload
    assert sorted(served) == sorted(server.requested)
    assert any("/a/" in path for path in served) and any("getNewsByColumns" in path for path in served)
    assert f"'warc/records': {len(records)}" in process.stderr


@pytest.mark.slow
def test_a_crawl_rotates_into_several_readable_files(tmp_path):
    server, base_url = serve()
    try:
        scrapy_crawl(
            base_url, tmp_path / "archive", FINEWS_WARC_DIR=str(tmp_path / "warc"), FINEWS_WARC_MAX_BYTES=60_000
        )
    finally:
        server.shutdown()
    paths = sorted((tmp_path / "warc").iterdir())
    assert len(paths) >= 4 and all(p.name.endswith(SUFFIX) for p in paths)
    assert [p.name[-len("00001" + SUFFIX) :] for p in paths] == [f"{n:05d}{SUFFIX}" for n in range(1, len(paths) + 1)]
    pairs = 0
    for path in paths:
        records = read_records(path)
        assert records[0][0] == "warcinfo" and len(records) % 2 == 1
        pairs += len(records) // 2
    assert pairs == len(server.requested)


@pytest.mark.slow
def test_a_run_without_the_setting_writes_no_warc(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=cgnjj", "pages=1")
    finally:
        server.shutdown()
    assert "warc/" not in process.stderr
    assert not [p for p in tmp_path.rglob("*") if ".warc" in p.name]


@pytest.mark.slow
def test_a_killed_run_leaves_readable_files_and_the_next_run_writes_its_own(large_mirror, tmp_path):
    _, base_url = large_mirror
    warc = tmp_path / "warc"
    process = start_crawl(base_url, tmp_path / "archive", *LARGE_MIRROR_ARGS, FINEWS_WARC_DIR=str(warc))
    while process.poll() is None and sum(p.stat().st_size for p in warc.glob("*" + OPEN_SUFFIX)) < 200_000:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    [left] = list(warc.iterdir())
    assert left.name.endswith(OPEN_SUFFIX)  # killed mid-run: the file was never closed
    data = left.read_bytes()
    whole = length_of(left)  # a kill can cut the last write (one pair of records) short, no more
    assert len(data) - whole < 2 * 1024 * 1024
    records = read_records_of(data[:whole])  # every record before it reads
    assert records[0][0] == "warcinfo" and len(records) > 20
    scrapy_crawl(base_url, tmp_path / "archive", *LARGE_MIRROR_ARGS, FINEWS_WARC_DIR=str(warc))
    paths = sorted(warc.iterdir())
    assert len(paths) == 2 and all(p.name.endswith(SUFFIX) for p in paths)
    kept = warc / left.name.removesuffix(OPEN_SUFFIX).removesuffix(".warc.gz")
    kept = kept.with_name(kept.name + SUFFIX)
    assert kept in paths and kept.stat().st_size == whole and len(read_records(kept)) == len(records)
    [second] = [p for p in paths if p != kept]
    assert read_records(second)[0][0] == "warcinfo"


@pytest.mark.slow
def test_a_warc_folder_that_cannot_be_written_stops_the_run_with_status_6(tmp_path):
    """WARC capture was asked for: pages it would lose stop the run instead (a file where the folder
    should be; a disk that fills, here a file size limit the WARC file reaches mid-crawl)."""
    import resource
    import subprocess

    from fixtures.testing import crawl_command
    from tests.conftest import REPO

    (tmp_path / "file").write_text("")
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, tmp_path / "a1", status=6, FINEWS_WARC_DIR=str(tmp_path / "file" / "warc"))
        limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))  # noqa: E731
        command = crawl_command(base_url, tmp_path / "a2", FINEWS_WARC_DIR=str(tmp_path / "warc"))
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    finally:
        server.shutdown()
    assert done.returncode == 6, done.stderr[-2000:]
    assert done.stderr.count("Cannot write WARC files into") == 1
    [kept] = (tmp_path / "warc").glob("*" + SUFFIX)  # closed: readable to its last whole record
    assert [record[0] for record in read_records(kept)][:3] == ["warcinfo", "response", "request"]
