"""One feed's lock on the archive: `.finews.<feed>.lock`, an flock that dies with its process.

Cron runs may overlap; the lock makes a second run of the same feed stop at once (exit 3)
while the two feeds may write one archive side by side. The file's word says how the last
crawl ended: "running pid N" while a crawl holds it, "done" after; a crawl that finds
"running" knows the one before it was killed and may have left gaps.
"""

import fcntl
import os
from pathlib import Path

LOCK_GLOB = ".finews.*.lock"  # one lock file per feed


class ArchiveLocked(RuntimeError):
    """Another run holds the lock."""


class ArchiveLock:
    def __init__(self, path: Path):
        self.path = path
        self.last_run_interrupted = False  # set by acquire(): the last crawl never released the lock
        self._file = None
        self._crawl = False

    @classmethod
    def for_feed(cls, root: Path, feed_name: str) -> "ArchiveLock":
        return cls(root / LOCK_GLOB.replace("*", feed_name))

    def acquire(self, crawl: bool = True) -> None:
        """Take the lock, or raise ArchiveLocked; a crawl marks it "running" (a holder that is
        not a crawl, such as `scrapy archive maintain`, leaves the word as it is)."""
        lock_file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise ArchiveLocked(f"another run is writing {self.path.parent} (lock {self.path})") from None
        lock_file.seek(0)
        self.last_run_interrupted = lock_file.read().startswith("running")
        if crawl:
            _set_state(lock_file, f"running pid {os.getpid()}")
        self._file, self._crawl = lock_file, crawl

    def release(self) -> None:
        if self._file is not None:
            if self._crawl:
                _set_state(self._file, "done")
            self._file.close()
            self._file = None


def _set_state(lock_file, state: str) -> None:
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(state + "\n")
    lock_file.flush()
