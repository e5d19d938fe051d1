"""WARC capture (FINEWS_WARC_DIR): every page the crawl downloads, as WARC/1.1 request and response records.

Off by default. With `-s FINEWS_WARC_DIR=DIR`, each response the downloader hands back (list pages,
article pages, the 7x24 feed, redirects and error answers alike, from East Money or a mirror standing
in for it) is written to DIR as a `request` record and a `response` record, linked by
`WARC-Concurrent-To`, written by warcio's WARCWriter (one gzip member per record). Files are named
`finews-<spider>-<run start, UTC>-<serial>.warc.gz` and rotated once they reach FINEWS_WARC_MAX_BYTES
(a file may pass it by one request/response pair); each starts with a `warcinfo` record.

The records are taken at Scrapy's `response_downloaded` signal, before any downloader middleware:
the response body is the payload as it came off the wire (still gzip- or br-encoded when the server
sent it so, with its Content-Encoding header), with the transfer encoding (chunked) undone by the
HTTP client. The HTTP client keeps no status line or connection headers, so the record's are made
from what it keeps: the protocol, the status and its standard reason phrase, the headers as Scrapy
has them (names in Scrapy's capitalisation), and a Content-Length of the body recorded (in place of
any Transfer-Encoding). The request record is the request as sent: method, path, Host, and the
headers the downloader middlewares gave it.

A killed run leaves readable files: a file is written as `<name>.warc.gz.open` and renamed to
`<name>.warc.gz` when it is closed (rotation, end of run; fsync'd first), each pair of records goes
to the file in one write, and the file is held with an advisory lock while open. The next run (of
any spider, in the same folder) truncates a leftover `.open` file nobody holds to its last whole
gzip member and renames it: a kill can cut at most the records being written, never a file.
docs/reference.md "WARC capture" has the settings, layout and sizes.
"""

import fcntl
import logging
import os
import stat
import time
import zlib
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import statkeys as keys

logger = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
WARC_NOT_WRITABLE = "warc_not_writable"  # the close reason of a run whose WARC files cannot be written (exit 6)
OPEN_SUFFIX = SUFFIX + ".open"  # a file being written (or left by a killed run)
FRESH_EMPTY_SECONDS = 60  # an empty .open file younger than this may be another run's, about to be locked
_DROPPED_RESPONSE_HEADERS = {"content-length", "transfer-encoding"}  # Content-Length is set to the body's


def software() -> str:
    """This crawler's name and version, for the warcinfo record."""
    try:
        return f"finews-crawler/{metadata.version('finews-crawler')}"
    except metadata.PackageNotFoundError:
        return "finews-crawler"


def file_name(spider: str, started: datetime, serial: int) -> str:
    """`finews-<spider>-<YYYYmmddTHHMMSSZ>-<serial, 5 digits>.warc.gz`."""
    return f"finews-{spider}-{started.strftime('%Y%m%dT%H%M%SZ')}-{serial:05d}{SUFFIX}"


class WarcCapture:
    """Writes every downloaded response (and its request) to rotating WARC files in one folder."""

    def __init__(self, folder: Path, max_bytes: int, spider: str, stats, settings_info: dict | None = None):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.spider = spider
        self.stats = stats
        self.settings_info = settings_info or {}
        self.started = datetime.now(UTC)
        self.serial = 0
        self.fd: int | None = None
        self.path: Path | None = None  # the .open file being written
        self.size = 0
        self.crawler = None  # set by from_crawler: the run this capture can stop
        self.failed = False  # a write failed: the run is stopping

    @classmethod
    def from_crawler(cls, crawler):
        folder = crawler.settings.get("FINEWS_WARC_DIR")
        if not folder:
            raise NotConfigured
        info = {"robots": "obey" if crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore"}
        info["http-header-user-agent"] = crawler.settings.get("USER_AGENT")
        extension = cls(
            Path(folder), crawler.settings.getint("FINEWS_WARC_MAX_BYTES"), crawler.spidercls.name, crawler.stats, info
        )
        extension.crawler = crawler
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            logger.error("Not crawling: the WARC folder %s cannot be made: %s", self.folder, exc)
            raise CloseSpider(WARC_NOT_WRITABLE) from None
        for leftover in sorted(self.folder.glob("*" + OPEN_SUFFIX)):
            recovered = recover(leftover)
            if recovered is not None:
                self.stats.inc_value(keys.WARC_RECOVERED)
                logger.warning("WARC file left by a stopped run: %s kept as %s", leftover.name, recovered.name)

    def spider_closed(self, spider, reason):
        self.close_file()

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if urlsplit(response.url).scheme not in ("http", "https"):
            return
        try:
            self.write_pair(request, response)
        except OSError as exc:  # disk full, a folder gone: the pages would be lost from here on
            self.stop(exc)

    def stop(self, error: OSError) -> None:
        """WARC capture was asked for and cannot go on: the run stops (reason warc_not_writable, exit
        status 6), said once; what was written stays readable (its file is closed as at the end)."""
        if self.crawler is None or self.failed:
            return
        self.failed = True
        logger.error("Cannot write WARC files into %s: %s; stopping the run", self.folder, error)
        self.stats.inc_value(keys.WARC_WRITE_ERRORS)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=WARC_NOT_WRITABLE))

    # --- writing ---------------------------------------------------------------------------

    def write_pair(self, request: Request, response: Response) -> None:
        """The request and response records, in one write; then rotation when the file is full."""
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
        request_record, response_record = records(writer, request, response)
        writer.write_request_response_pair(request_record, response_record)
        data = buffer.getvalue()
        if self.fd is None:
            self.open_file()
        self.append(data, records=2)
        if self.size >= self.max_bytes:
            self.close_file()

    def open_file(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            self.serial += 1
            name = file_name(self.spider, self.started, self.serial)
            final, path = self.folder / name, self.folder / (name.removesuffix(SUFFIX) + OPEN_SUFFIX)
            if final.exists():
                continue
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            except FileExistsError:
                continue
            break
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else holds it
        self.fd, self.path, self.size = fd, path, 0
        self.stats.inc_value(keys.WARC_FILES)
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
        info = {
            "software": software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"finews-{self.spider}-{self.started.strftime('%Y%m%dT%H%M%SZ')}",
            **{k: v for k, v in self.settings_info.items() if v},
        }
        writer.write_record(writer.create_warcinfo_record(name, info))
        self.append(buffer.getvalue(), records=1)

    def append(self, data: bytes, records: int) -> None:
        """`data` (whole gzip members) at the end of the open file; a failed write is cut back off."""
        written = 0
        try:
            while written < len(data):
                written += os.write(self.fd, data[written:])
        except OSError:
            if written:
                os.ftruncate(self.fd, self.size)
            raise
        self.size += len(data)
        self.stats.inc_value(keys.WARC_RECORDS, records)
        self.stats.inc_value(keys.WARC_BYTES, len(data))

    def close_file(self) -> None:
        """fsync, rename `.open` to `.warc.gz`, fsync the folder, release the file."""
        if self.fd is None:
            return
        fd, path = self.fd, self.path
        self.fd = self.path = None
        try:
            os.fsync(fd)
            os.rename(path, path.with_name(path.name.removesuffix(OPEN_SUFFIX) + SUFFIX))
            _fsync_folder(path.parent)
        finally:
            os.close(fd)


def records(writer: WARCWriter, request: Request, response: Response) -> tuple:
    """The warcio request and response records of one download (not written yet)."""
    url = urlsplit(response.url)
    target = url.path or "/"
    if url.query:
        target += "?" + url.query
    request_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers.insert(0, ("Host", url.netloc))
    if request.body:
        request_headers.append(("Content-Length", str(len(request.body))))
    request_http = StatusAndHeaders(  # Scrapy's HTTP/1.1 client sends every request as HTTP/1.1
        f"{request.method} {target} HTTP/1.1", request_headers, protocol="", is_http_request=True
    )
    response_headers = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, vs in response.headers.items()
        for v in vs
        if k.decode("latin-1").lower() not in _DROPPED_RESPONSE_HEADERS
    ]
    response_headers.append(("Content-Length", str(len(response.body))))
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    protocol = response.protocol or "HTTP/1.1"
    response_http = StatusAndHeaders(f"{response.status} {reason}".rstrip(), response_headers, protocol=protocol)
    extra = {"WARC-IP-Address": str(response.ip_address)} if response.ip_address else {}
    response_record = writer.create_warc_record(
        response.url, "response", payload=BytesIO(response.body), http_headers=response_http, warc_headers_dict=extra
    )
    request_record = writer.create_warc_record(
        response.url, "request", payload=BytesIO(request.body), http_headers=request_http, warc_headers_dict=dict(extra)
    )
    return request_record, response_record


def complete_length(fd: int) -> int:
    """The length of the open file's leading whole gzip members (where a cut-off or damaged member
    starts). Decompressed in bounded pieces: a member that inflates to gigabytes costs no memory."""
    end = position = 0  # end of the last whole member; file offset of `data`
    decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 1 << 20):
        data = chunk
        while data:
            try:
                decompressor.decompress(data, 1 << 16)  # only where members end matters
                while decompressor.unconsumed_tail and not decompressor.eof:
                    decompressor.decompress(decompressor.unconsumed_tail, 1 << 16)
            except zlib.error:
                return end
            if not decompressor.eof:
                position += len(data)
                break
            position += len(data) - len(decompressor.unused_data)
            end, data = position, decompressor.unused_data
            decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    return end


def recover(path: Path) -> Path | None:
    """A `.open` file that no run holds, cut to its whole gzip members and renamed; None if it is held
    (another run is writing it), still too fresh to tell, or no regular file of its own (a symbolic
    link, a FIFO, a folder: never followed, opened or waited on; logged). A file whose first member is
    damaged is renamed `.damaged`, never deleted: what it holds is for a person to look at."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a link (ELOOP), a folder (EISDIR), a FIFO with no writer (ENXIO)
        logger.warning("WARC leftover %s left as it is: %s", path, exc.strerror)
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            logger.warning("WARC leftover %s left as it is: not a regular file", path)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        size = os.fstat(fd).st_size
        if size == 0 and time.time() - os.fstat(fd).st_mtime < FRESH_EMPTY_SECONDS:
            return None
        end = complete_length(fd)
        if end == 0 and size:
            damaged = path.with_name(path.name.removesuffix(OPEN_SUFFIX) + SUFFIX + ".damaged")
            os.rename(path, damaged)
            logger.warning("WARC leftover %s holds no whole record: renamed %s", path, damaged.name)
            return None
        if end == 0:
            os.unlink(path)  # empty: nothing was ever written
            return None
        if end < size:
            os.ftruncate(fd, end)
            logger.warning("WARC leftover %s: cut back to its whole records (%d of %d bytes)", path, end, size)
        os.fsync(fd)
        target = path.with_name(path.name.removesuffix(OPEN_SUFFIX) + SUFFIX)
        if target.exists():
            target = path.with_name(path.name.removesuffix(OPEN_SUFFIX) + f"-recovered-{os.getpid()}" + SUFFIX)
        os.rename(path, target)
        _fsync_folder(path.parent)
        return target
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
