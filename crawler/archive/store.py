"""The Jekyll archive on disk: the posts it holds (the dedupe index) and writes into it.

A file `YYYY-MM-DD-<key>.md` under `_posts/` or the old-posts folder means <key> is known
(crawler/archive/index.py). With FINEWS_REDIS_URL set, workers on several machines share an
index in Redis (crawler/sharedindex.py, handed in by the caller): an unknown post is claimed there
before it is downloaded, held while it is written, and marked done once it is. Each feed (crawler/archive/feeds.py) writes under its
own lock and temp-file names, so the two feeds may write one archive at the same time.
"""

import errno
import os
import re
import secrets
import socket
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawler import settings as defaults
from crawler.archive import layout
from crawler.archive.feeds import FEEDS
from crawler.archive.files import atomic_write, file_text
from crawler.archive.index import scan_keys
from crawler.archive.lock import ArchiveLock
from crawler.items import SHANGHAI

if TYPE_CHECKING:  # the archive needs no Scrapy and no Redis: settings are any Scrapy-like mapping
    from scrapy.settings import BaseSettings

    from crawler.sharedindex import SharedIndex

_KEY_RE = re.compile(r"[A-Za-z0-9]{1,64}")  # fullmatch: ASCII only, no trailing newline
_WORKER_ID_RE = re.compile(r"[0-9a-f]{16}")


class ArchiveLinked(OSError):
    """A folder or file of the archive is a symbolic link, or a lock or worker id no regular file (exit status 6)."""


class AlreadyThere(FileExistsError):
    """A move's target exists: nothing was moved (a file where a folder should be is an OSError of its own)."""


class ClaimLost(Exception):
    """Another worker took or wrote the post while this one fetched it: it is not written here."""


def _refuse_odd(path: Path, file: bool = True) -> None:
    """ArchiveLinked naming `path` when it is a symbolic link, or (`file`) there and no regular file."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISLNK(mode) or (file and not stat.S_ISREG(mode)):
        odd = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
        raise ArchiveLinked(f"{path} is {odd}; the archive's folders and files must be its own")


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
        front_matter_stocks: bool = defaults.FINEWS_FRONT_MATTER_STOCKS,
    ):
        self.root = Path(root).resolve()
        self.shared = shared  # workers sharing Redis, else None
        self.site_url = site_url.rstrip("/")  # base of the posts' back links
        self.share_url = share_url  # a per-media post's share link, with {info_code}
        self.front_matter_stocks = front_matter_stocks  # posts name their stocks' secids (`stocks:`)
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
            settings.getbool("FINEWS_FRONT_MATTER_STOCKS"),
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
        known = _worker_id_in(self.worker_path())
        if known:
            return known
        worker_id = secrets.token_hex(8)
        atomic_write(self.worker_path(), worker_id + "\n", self.temp_prefix)
        return worker_id

    def worker_ids(self) -> set[str]:
        """The worker ids the archive holds, of every feed (none made here)."""
        return {known for feed in FEEDS if (known := _worker_id_in(self.worker_path(feed.name)))}

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
        """Write `path` (inside the archive) atomically: never a partial file, never through a link."""
        path = self.own_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, self.temp_prefix)

    def move(self, path: Path, target: Path) -> None:
        """Rename the file `path` to `target` inside the archive (folders made): never through a link
        (ArchiveLinked), never over a file (AlreadyThere; the caller holds every feed's lock)."""
        path, target = self.own_path(path), self.own_path(target)
        if os.path.lexists(target):
            raise AlreadyThere(errno.EEXIST, "a file of that name is there", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)

    def own_path(self, path: str | os.PathLike) -> Path:
        """`path` as an absolute path inside the archive that no symbolic link below the root leads
        through: ValueError when it is outside, ArchiveLinked naming the link."""
        path = Path(os.path.abspath(path))
        if not path.is_relative_to(self.root):
            raise ValueError(f"{path} is outside the archive {self.root}")
        for part in [path, *path.parents][: len(path.parts) - len(self.root.parts)]:
            _refuse_odd(part, file=False)
        return path

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
        """Raise ArchiveLinked (an OSError) when a folder the archive writes into, a lock, a worker
        id or an index page is a symbolic link (writes never follow one out of the archive), or a
        lock or worker id is there but no regular file. (The root itself may be a link: it is resolved once.)"""
        folders = [self.posts_dir, self.old_posts_dir, *(self.root / feed.index_dir for feed in FEEDS)]
        for path in [*folders, *(page for folder in folders[2:] for page in _links_in(folder))]:
            _refuse_odd(path, file=False)  # index pages: a handful of files, checked each run
        for feed in FEEDS:
            _refuse_odd(self.root / layout.lock_name(feed.name))
            _refuse_odd(self.worker_path(feed.name))

    def unlock(self, finished: bool = True) -> None:
        """Let the feed's lock go; a crawl says whether it finished its plan (else the next one fills the gap)."""
        self._lock.release(finished)


def _worker_id_in(path: Path) -> str | None:
    """The worker id `path` holds, if any; never blocks (ArchiveLinked when it is no regular file)."""
    _refuse_odd(path)  # file_text would refuse a FIFO too, but not as ArchiveLinked
    try:
        known = file_text(path).strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return known if _WORKER_ID_RE.fullmatch(known) else None


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
