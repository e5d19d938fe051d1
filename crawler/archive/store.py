"""The Jekyll archive on disk: the posts it holds (the dedupe index) and writes into it.

A file `YYYY-MM-DD-<key>.md` under `_posts/` or the old-posts folder means <key> is known
(crawler/archive/index.py). With FINEWS_REDIS_URL set, workers on several machines share an
index in Redis (crawler/sharedindex.py, handed in by the caller): an unknown post is claimed there
before it is downloaded, held while it is written, and marked done once it is. Each feed (crawler/archive/feeds.py) writes under its
own lock and temp-file names, so the two feeds may write one archive at the same time.
"""

import os
import re
import secrets
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawler import settings as defaults
from crawler.archive import layout
from crawler.archive.feeds import FEEDS
from crawler.archive.files import atomic_write
from crawler.archive.index import scan_keys
from crawler.archive.lock import ArchiveLock
from crawler.items import SHANGHAI

if TYPE_CHECKING:  # the archive needs no Scrapy and no Redis: settings are any Scrapy-like mapping
    from scrapy.settings import BaseSettings

    from crawler.sharedindex import SharedIndex

_KEY_RE = re.compile(r"[A-Za-z0-9]{1,64}")  # fullmatch: ASCII only, no trailing newline
_WORKER_ID_RE = re.compile(r"[0-9a-f]{16}")


class ArchiveLinked(OSError):
    """A folder or file of the archive is a symbolic link (refused: exit status 6)."""


class ClaimLost(Exception):
    """Another worker took or wrote the post while this one fetched it: it is not written here."""


def _links_in(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            return [folder / entry.name for entry in entries if entry.is_symlink()]
    except (FileNotFoundError, NotADirectoryError):
        return []


class Archive:
    def __init__(
        self,
        root: str | os.PathLike,
        old_posts_dir: str = defaults.FINEWS_OLD_POSTS_DIR,
        feed: str = "finews",
        shared: "SharedIndex | None" = None,
        site_url: str = defaults.FINEWS_SITE_URL,
        share_url: str = defaults.FINEWS_SHARE_URL,
    ):
        self.root = Path(root).resolve()
        self.shared = shared  # workers sharing Redis, else None
        self.site_url = site_url.rstrip("/")  # base of the posts' back links
        self.share_url = share_url  # a per-media post's share link, with {info_code}
        self.posts_dir = self.root / layout.POSTS_DIR
        self.old_posts_dir = self.root / old_posts_dir
        self.index_dirs = [self.posts_dir, self.old_posts_dir]
        self.temp_prefix = layout.temp_prefix(feed)
        self.feed = feed
        self._lock = ArchiveLock.for_feed(self.root, feed)
        self._known: set[str] | None = None

    @classmethod
    def from_settings(
        cls, settings: "BaseSettings", feed: str = "finews", shared: "SharedIndex | None" = None
    ) -> "Archive":
        """The archive FINEWS_ARCHIVE_DIR names, written as `feed`; `shared`: the Redis index of a distributed crawl."""
        return cls(
            settings.get("FINEWS_ARCHIVE_DIR"),
            settings.get("FINEWS_OLD_POSTS_DIR"),
            feed,
            shared,
            settings.get("FINEWS_SITE_URL"),
            settings.get("FINEWS_SHARE_URL"),
        )

    # --- what it holds -----------------------------------------------------------------------
    @property
    def known(self) -> set[str]:
        """Keys of every post in the index folders (and their subfolders), read once on first use."""
        if self._known is None:
            self._known = set()
            for folder in self.index_dirs:
                scan_keys(folder, self._known)
        return self._known

    def __contains__(self, key: str) -> bool:
        """Whether this archive holds the post (what other workers wrote is the shared index's)."""
        return key in self.known

    # --- the worker of a distributed crawl ----------------------------------------------------
    def worker_path(self, feed: str | None = None) -> Path:
        return self.root / layout.worker_id_name(feed or self.feed)

    def worker_id(self) -> str:
        """This archive's random worker id for the feed, made on first use (`.finews.<feed>.worker`):
        its claims in the shared index are known as its own by every later run, on any host."""
        path = self.worker_path()
        try:
            known = path.read_text(encoding="ascii").strip()
            if _WORKER_ID_RE.fullmatch(known):
                return known
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        worker_id = secrets.token_hex(8)
        atomic_write(path, worker_id + "\n", self.temp_prefix)
        return worker_id

    def worker_ids(self) -> set[str]:
        """The worker ids the archive holds, of every feed (none made here)."""
        ids = set()
        for feed in FEEDS:
            try:
                text = self.worker_path(feed.name).read_text(encoding="ascii").strip()
            except (FileNotFoundError, UnicodeDecodeError):
                continue
            if _WORKER_ID_RE.fullmatch(text):
                ids.add(text)
        return ids

    def worker_name(self) -> str:
        """The value of this worker's claims: its id, then where it runs (for a person reading Redis)."""
        return f"{self.worker_id()}@{socket.gethostname()}:{self.root}:{self.feed}"

    # --- writing -----------------------------------------------------------------------------
    def post_path(self, published_at: datetime, key: str) -> Path:
        if not _KEY_RE.fullmatch(key):
            raise ValueError(f"unsafe post key {key!r}")
        return self.posts_dir / layout.post_name(published_at.astimezone(SHANGHAI).date(), key)

    def add_post(self, published_at: datetime, key: str, text: str) -> Path:
        """Write a post atomically and record its key as known (to every worker, in distributed mode).

        Distributed: written only while this worker holds the post's claim (ClaimLost when another
        took it; SharedIndexLost when Redis fails), and marked done in the shared index after."""
        path = self.post_path(published_at, key)
        if self.shared is not None and not self.shared.hold(key):
            raise ClaimLost(key)
        self.write(path, text)
        self.known.add(key)
        if self.shared is not None:
            self.shared.done(key)
        return path

    def write(self, path: Path, text: str) -> None:
        """Write `path` (inside the archive) atomically: never a partial file."""
        path = Path(path)
        if not path.resolve().is_relative_to(self.root):
            raise ValueError(f"{path} is outside the archive {self.root}")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, self.temp_prefix)

    # --- one writer a feed -------------------------------------------------------------------
    @property
    def last_run_interrupted(self) -> bool:
        """Whether the feed's last crawl stopped before it finished its plan (known once lock() returned)."""
        return self._lock.last_run_interrupted

    @property
    def unfinished_plan(self) -> dict | None:
        """The plan of that crawl, when it recorded one (crawler/archive/lock.py)."""
        return self._lock.unfinished_plan

    def record_plan(self, plan: dict) -> None:
        """The plan this crawl follows: kept in the lock until the crawl finishes it."""
        self._lock.record_plan(plan)

    def lock(self, crawl: bool = True) -> None:
        """Take the archive for this feed's run (crawler/archive/lock.py), or raise ArchiveLocked.

        OSError when the archive is not writable. A crawl removes here the temp files a killed run
        of its feed left (only this feed's: the other may be writing).
        """
        self.refuse_links()
        self.posts_dir.mkdir(parents=True, exist_ok=True)
        self._lock.acquire(crawl)
        for folder in (self.posts_dir, *(self.root / feed.index_dir for feed in FEEDS)) if crawl else ():
            for stale in folder.glob(self.temp_prefix + "*"):  # where write() goes; other holders leave
                stale.unlink(missing_ok=True)  # them to the next crawl, or to `archive doctor`
        tempfile.TemporaryFile(dir=self.posts_dir).close()  # proves the posts folder is writable

    def refuse_links(self) -> None:
        """Raise ArchiveLinked (an OSError) when a folder the archive writes into, the lock, or an
        index page is a symbolic link: writes never follow one out of the archive. (The archive's
        root itself may be a link: it is resolved once.)"""
        folders = [self.posts_dir, self.old_posts_dir, *(self.root / feed.index_dir for feed in FEEDS)]
        for path in [*folders, self._lock.path, *(self.worker_path(feed.name) for feed in FEEDS)]:
            if path.is_symlink():
                raise ArchiveLinked(f"{path} is a symbolic link; the archive's folders and files must be its own")
        for folder in folders[2:]:  # index pages: a handful of files, checked each run
            for page in _links_in(folder):
                raise ArchiveLinked(f"{page} is a symbolic link; the archive's folders and files must be its own")

    def unlock(self, finished: bool = True) -> None:
        """Let the feed's lock go; a crawl says whether it finished its plan (else the next one fills the gap)."""
        self._lock.release(finished)


@contextmanager
def every_feed_locked(settings: "BaseSettings", shared: "SharedIndex | None" = None) -> Iterator[Archive]:
    """The archive FINEWS_ARCHIVE_DIR names, held under every feed's lock for as long as the block runs.

    What the offline commands (maintain, publish, doctor --fix, seed_redis) do: never beside a
    crawl of either feed. ArchiveLocked when a crawl holds one (nothing was taken then), OSError
    when the archive is not writable; every lock taken is let go when the block ends, however.
    """
    archives = [Archive.from_settings(settings, feed.name, shared) for feed in FEEDS]
    try:
        for archive in archives:
            archive.lock(crawl=False)
        yield archives[0]
    finally:
        for archive in archives:
            archive.unlock()
