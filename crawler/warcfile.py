"""Reading finews-crawler's WARC files back: which spider's run made a file, and the responses it holds.

The capture (crawler/extensions/warc.py, FINEWS_WARC_DIR) writes them; replay reads them
(`scrapy archive replay`, crawler/tools/replay.py, and the spiders' replay mode). No Scrapy here:
a response comes back as a `Download` (URL, status, headers, the body as it came off the wire).

A WARC file is hostile input (it may come from anywhere, be cut short, damaged or made to hurt):
- only a regular file is read (a FIFO, a folder or a device is refused, never waited on);
- it is read one gzip member (one record, as the capture writes them) at a time, each inflated to at
  most `max_bytes` plus room for its headers: a larger member is skipped whole, read in bounded
  pieces, so neither a body nor a header line can take more memory than that;
- a damaged member ends the reading of its file, said once; what came before it stands.
The content encoding (gzip, br...) is left for the reader to undo as the crawl did (Scrapy's
HttpCompressionMiddleware, bounded by DOWNLOAD_MAXSIZE); the transfer encoding (chunked) is undone.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

logger = logging.getLogger(__name__)

# The warcinfo record of every file the capture writes: `isPartOf: finews-<spider>-<UTC start>`.
_PART_OF_RE = re.compile(rb"^isPartOf: (finews-([A-Za-z0-9_]{1,64})-\d{8}T\d{6}Z)\r?$", re.M)
_CONTROL_RE = re.compile(
    r"[\x00-\x20\x7f-\x9f\u2028\u2029]"
)  # no URL holds them, nor a space: one would reach the log raw
_LENGTH_HEADERS = {"content-length", "transfer-encoding"}  # no longer true once the transfer encoding is undone
HEADROOM = 1 << 20  # a record's WARC and HTTP headers, over its body's limit
MAX_WARCINFO_BYTES = 64 * 1024
_PIECE = 1 << 16


class NotAWarc(ValueError):
    """A file replay cannot read: not a regular file, not gzip'd WARC, or not one finews-crawler wrote."""


@dataclass(frozen=True)
class Download:
    """One response record: what the crawl was answered for `url`, in the run `run`."""

    url: str
    status: int
    headers: list[tuple[str, str]]  # as recorded (Content-Encoding kept), less Content-Length and Transfer-Encoding
    body: bytes  # the payload as received, the transfer encoding undone
    run: str  # the capture's run: its warcinfo's isPartOf (finews-<spider>-<UTC start>)


def open_regular(path: str | os.PathLike) -> int:
    """A read-only descriptor of `path`, a regular file; NotAWarc for a FIFO, a folder, a device."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise NotAWarc(f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotAWarc(f"{path}: not a regular file")
    return fd


def run_of(path: str | os.PathLike) -> tuple[str, str]:
    """(the spider, the run) whose crawl wrote the WARC file, as its first record (warcinfo) says; NotAWarc
    when it is no WARC file finews-crawler wrote."""
    fd = open_regular(path)
    try:
        first = next(_members(fd, MAX_WARCINFO_BYTES), None)
    except zlib.error as exc:
        raise NotAWarc(f"{path}: not a gzip'd WARC file ({exc})") from None
    finally:
        os.close(fd)
    found = _PART_OF_RE.search(first or b"") if (first or b"").startswith(b"WARC/") else None
    if not found or b"\r\nWARC-Type: warcinfo\r\n" not in first.partition(b"\r\n\r\n")[0] + b"\r\n":
        raise NotAWarc(f"{path}: not written by finews-crawler (no warcinfo naming a finews spider's run)")
    return found.group(2).decode(), found.group(1).decode()


def spider_of(path: str | os.PathLike) -> str:
    """The spider whose crawl wrote the WARC file; NotAWarc otherwise."""
    return run_of(path)[0]


def downloads(path: str | os.PathLike, max_bytes: int) -> Iterator[Download]:
    """The response records of the WARC file, in the order written. A record over `max_bytes` (plus
    HEADROOM), or that is no HTTP response, is skipped (logged); a damaged one ends the file; and
    the records after a warcinfo of another spider's crawl are skipped (files joined with cat: each run's
    records go with its own run, and only those of the file's first spider are read)."""
    spider, run = run_of(path)
    fd = open_regular(path)
    try:
        members = _members(fd, max_bytes + HEADROOM)
        while True:
            try:
                member = next(members, False)
            except zlib.error as exc:
                logger.warning("WARC file %s is damaged from here on; the rest of it is skipped: %s", path, exc)
                return
            if member is False:
                return
            if member is None:
                logger.warning("A record of WARC file %s skipped: over %d bytes", path, max_bytes + HEADROOM)
                continue
            head = member[: member.find(b"\r\n\r\n")]
            if b"\nWARC-Type: warcinfo\r" in head:  # another file's start (files joined with cat): its run
                found = _PART_OF_RE.search(member[:MAX_WARCINFO_BYTES])
                theirs = not found or found.group(2).decode() != spider
                if theirs:
                    logger.warning(
                        "WARC file %s holds records of another crawl than %s's: they are skipped", path, spider
                    )
                run = "" if theirs else found.group(1).decode()
                continue
            if not run:
                continue
            try:
                download = _download(member, run)
            except Exception as exc:  # a record warcio cannot read is one record lost, said
                logger.warning("A record of WARC file %s skipped: unreadable (%s: %s)", path, type(exc).__name__, exc)
                continue
            if download is not None:
                yield download
    finally:
        os.close(fd)


def _members(fd: int, most: int) -> Iterator[bytes | None]:
    """The file's gzip members inflated, one at a time; None for one that inflates to more than `most`
    (inflated in pieces and thrown away). zlib.error where a member is damaged or cut short."""
    decompressor, out, size, started = zlib.decompressobj(zlib.MAX_WBITS | 16), [], 0, False
    while True:
        chunk = os.read(fd, 1 << 20)
        data = chunk
        while True:
            started = started or bool(data)
            piece = decompressor.decompress(data, _PIECE)  # b"" drains what it holds back
            size += len(piece)
            if size > most:
                out.clear()
            elif piece:
                out.append(piece)
            if decompressor.eof:
                yield None if size > most else b"".join(out)
                data = decompressor.unused_data
                decompressor, out, size, started = zlib.decompressobj(zlib.MAX_WBITS | 16), [], 0, bool(data)
                if not data:
                    break
            elif decompressor.unconsumed_tail or piece:
                data = decompressor.unconsumed_tail
            else:
                break  # it needs more of the file
        if not chunk:
            if started:
                raise zlib.error("the last record is cut short")
            return


def _download(member: bytes, run: str) -> Download | None:
    if b"\nWARC-Type: response\r" not in member[: member.find(b"\r\n\r\n")]:  # a request, the warcinfo: not read
        return None
    record = next(iter(ArchiveIterator(BytesIO(member), check_digests=False)), None)
    if record is None or record.rec_type != "response" or record.http_headers is None:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    status = record.http_headers.get_statuscode() or ""
    if not status.isdigit() or not url.startswith(("http://", "https://")) or _CONTROL_RE.search(url):
        logger.warning(
            "WARC record %s skipped: no HTTP response of a URL", ascii(url[:200]) if url else "without a URL"
        )
        return None
    stream = record.raw_stream
    if (record.http_headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
        stream = ChunkedDataReader(stream)
    body = stream.read()
    headers = [(name, value) for name, value in record.http_headers.headers if name.lower() not in _LENGTH_HEADERS]
    return Download(url, int(status), headers, body, run)
