"""The Jekyll archive on disk: the index of posts it holds, and atomic writes into it.

The archive is the dedupe index: a file `YYYY-MM-DD-<key>.md` under `_posts/`
(or the old-posts folder) means <key> is known (an infoCode for per-media posts,
the bare id for emnews posts). The spider and the pipelines of one crawl share one
Archive (see `archive_for`). Each feed (spider) has its own lock and temp files, so
the two feeds may write one archive at the same time, but two runs of one feed never.
"""

import fcntl
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from crawler.distributed import SharedIndex
from crawler.parsers.dates import SHANGHAI

_KEY_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")
LOCK_GLOB = ".finews.*.lock"  # one lock file per feed
TEMP_GLOB = ".finews-*.tmp"


class ArchiveLocked(RuntimeError):
    """Another run holds the archive's lock."""


class Archive:
    def __init__(self, root: str | os.PathLike, old_posts_dir: str = "old_post", feed: str = "finews", shared=None):
        self.root = Path(root).resolve()
        self.shared = shared  # a crawler.distributed.SharedIndex when workers share Redis, else None
        self.lock_path = self.root / LOCK_GLOB.replace("*", feed)
        self.temp_prefix = TEMP_GLOB.replace("*.tmp", f"{feed}-")
        self.posts_dir = self.root / "_posts"
        self.old_posts_dir = self.root / old_posts_dir
        self.index_dirs = [self.posts_dir, self.old_posts_dir]
        self._known: set[str] | None = None
        self._lock_file = None
        self.last_run_interrupted = False  # set by lock(): the previous run never reached unlock()

    @classmethod
    def from_settings(cls, settings, feed: str = "finews") -> "Archive":
        shared = SharedIndex.from_settings(settings) if settings.get("FINEWS_REDIS_URL") else None
        return cls(settings.get("FINEWS_ARCHIVE_DIR"), settings.get("FINEWS_OLD_POSTS_DIR"), feed, shared)

    @property
    def known(self) -> set[str]:
        """Keys of every post in the index folders (and their subfolders), read once on first use."""
        if self._known is None:
            self._known = set()
            for folder in self.index_dirs:
                _scan_posts(folder, self._known)
        return self._known

    def __contains__(self, key: str) -> bool:
        return key in self.known or (self.shared is not None and self.shared.is_done(key))

    def claim(self, key: str) -> bool:
        """Take an unknown post for this worker before downloading it (always yes on one machine)."""
        return self.shared is None or self.shared.claim(key)

    def release(self, key: str) -> None:
        """Give up a claimed post whose article failed, so another worker may try it."""
        if self.shared is not None:
            self.shared.release(key)

    def post_path(self, published_at: datetime, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError(f"unsafe post key {key!r}")
        return self.posts_dir / f"{published_at.astimezone(SHANGHAI):%Y-%m-%d}-{key}.md"

    def add_post(self, published_at: datetime, key: str, text: str) -> Path:
        """Write a post atomically and record its key as known."""
        path = self.post_path(published_at, key)
        self.write(path, text)
        self.known.add(key)
        if self.shared is not None:
            self.shared.done(key)
        return path

    def lock(self, crawl: bool = True) -> None:
        """Take the archive for this run: one writer at a time (cron runs may overlap).

        Raises ArchiveLocked when another run holds it, OSError when the archive is not
        writable. The lock dies with the process, so a killed run never leaves it behind;
        temp files such a run left are removed here. The lock file says "running" while a
        crawl holds it and "done" after, so the next crawl knows when one was interrupted;
        a holder that is not a crawl (`scrapy archive maintain`) leaves that word as it is.
        """
        self.posts_dir.mkdir(parents=True, exist_ok=True)
        lock_file = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise ArchiveLocked(f"another run is writing {self.root} (lock {self.lock_path})") from None
        lock_file.seek(0)
        self.last_run_interrupted = lock_file.read().startswith("running")
        if crawl:
            self._set_lock_state(lock_file, f"running pid {os.getpid()}")
        self._lock_file, self._crawl = lock_file, crawl
        for folder in (self.posts_dir, self.root / "category", self.root / "emnews"):  # where write() goes
            for stale in folder.glob(self.temp_prefix + "*"):  # only this feed's: the other may be writing
                stale.unlink(missing_ok=True)
        tempfile.TemporaryFile(dir=self.posts_dir).close()  # proves the posts folder is writable

    def unlock(self) -> None:
        if self._lock_file is not None:
            if self._crawl:
                self._set_lock_state(self._lock_file, "done")
            self._lock_file.close()
            self._lock_file = None

    @staticmethod
    def _set_lock_state(lock_file, state: str) -> None:
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(state + "\n")
        lock_file.flush()

    def write(self, path: Path, text: str) -> None:
        """Write `path` (inside the archive) via a temp file and rename: never a partial file."""
        path = Path(path)
        if not path.resolve().is_relative_to(self.root):
            raise ValueError(f"{path} is outside the archive {self.root}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.temp_prefix, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _scan_posts(folder: Path, known: set[str]) -> None:
    """Add the key of every `YYYY-MM-DD-<key>.md` below `folder` to `known`.

    A listing and string slices, not a regex per name: a million posts load in under a second
    (bench/index.py).
    """
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    known.update(name[11:-3] for name in names if name[10:11] == "-" and name.endswith(".md") and name[11:-3])
    for name in names:
        if not name.endswith(".md") and (folder / name).is_dir():
            _scan_posts(folder / name, known)


def post_files(folder: Path) -> list[Path]:
    """Every post file below `folder` (the files `_scan_posts` reads keys from), in name order."""
    try:
        names = sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    files = []
    for name in names:
        if name[10:11] == "-" and name.endswith(".md") and name[11:-3]:
            files.append(folder / name)
        elif not name.endswith(".md") and (folder / name).is_dir():
            files += post_files(folder / name)
    return files


def archive_for(crawler) -> Archive:
    """The one Archive of a crawl, shared by its spider and pipelines."""
    archive = getattr(crawler, "finews_archive", None)
    if archive is None:
        archive = crawler.finews_archive = Archive.from_settings(crawler.settings, crawler.spidercls.name)
    return archive
