"""One feed's lock on the archive: `.finews.<feed>.lock`, an flock that dies with its process.

Cron runs may overlap; the lock makes a second run of the same feed stop at once (exit 3)
while the two feeds may write one archive side by side. The file also says how the feed's
last crawl ended, so that no stop leaves a gap a later run does not fill:

    running pid N        a crawl holds it (a killed crawl leaves this behind)
    interrupted          the last crawl stopped before it finished its plan
    done                 the last crawl finished its plan

and, on a second line, the plan (JSON: the pages, since, until and lists it was to read) of the
crawl that did not finish; the next crawl reads at least that much (its spider merges the two
plans), records the merged plan, and only when it finishes writes "done".
"""

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.archive.layout import lock_name

LOCK_FILE_SIZE = 4096  # the state is written padded to this size, in place: no new space is needed on a full disk


class ArchiveLocked(RuntimeError):
    """Another run holds the lock."""


class ArchiveLock:
    def __init__(self, path: Path):
        self.path = path
        self.last_run_interrupted = False  # set by acquire(): the last crawl did not finish its plan
        self.unfinished_plan: dict | None = None  # that crawl's plan, when it recorded one
        self._plan: dict | None = None
        self._recorded = False  # whether this crawl recorded a plan of its own (scrapy parse/shell do not)
        self._file = None
        self._crawl = False

    @classmethod
    def for_feed(cls, root: Path, feed_name: str) -> "ArchiveLock":
        return cls(root / lock_name(feed_name))

    def acquire(self, crawl: bool = True) -> None:
        """Take the lock, or raise ArchiveLocked; a crawl marks it "running" (a holder that is
        not a crawl, such as `scrapy archive maintain`, leaves it as it is)."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        lock_file = os.fdopen(os.open(self.path, flags, 0o644), "r+", encoding="utf-8")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise ArchiveLocked(f"another run is writing {self.path.parent} (lock {self.path})") from None
        state, _, plan = lock_file.read().partition("\n")
        state = state.strip()
        self.last_run_interrupted = state.startswith(("running", "interrupted"))
        self.unfinished_plan = _plan(plan) if self.last_run_interrupted else None
        self._file, self._crawl, self._plan = lock_file, crawl, self.unfinished_plan
        if crawl:
            self._set_state(f"running pid {os.getpid()}")  # the unfinished plan stays until a run finishes it

    def record_plan(self, plan: dict) -> None:
        """The plan this crawl follows (its own merged with any unfinished one), kept should it not finish."""
        self._plan, self._recorded = plan, True
        if self._file is not None and self._crawl:
            self._set_state(f"running pid {os.getpid()}")

    def release(self, finished: bool = True) -> None:
        """Let the lock go; a crawl records whether it finished its plan. A crawl that followed no
        plan of its own (`scrapy parse`, `scrapy shell`) leaves an unfinished one unfinished."""
        if self._file is not None:
            if self._crawl:
                clean = finished and (self._recorded or not self.last_run_interrupted)
                self._set_state("done" if clean else "interrupted")
            self._file.close()
            self._file = None

    def _set_state(self, state: str) -> None:
        """Write the state (and the plan) over the file's first bytes: a disk that filled up during
        the run still takes it, since the space was taken when the run began."""
        plan = "" if state == "done" or self._plan is None else json.dumps(self._plan, sort_keys=True) + "\n"
        text = f"{state}\n{plan}".ljust(LOCK_FILE_SIZE)
        self._file.seek(0)
        self._file.write(text)
        self._file.truncate()
        self._file.flush()
        os.fsync(self._file.fileno())


def _plan(text: str) -> dict | None:
    try:
        plan = json.loads(text.strip())
    except ValueError:
        return None
    return plan if isinstance(plan, dict) else None


@contextmanager
def posts_held(root: Path, exclusive: bool) -> Iterator[None]:
    """The lock between the verbs that move or rewrite posts (exclusive: `maintain`, `doctor --fix`) and
    the build, which reads every post at once (shared): neither runs while the other does (ArchiveLocked).
    Crawls only add posts and never take it: a build and crawls run side by side. It is an flock on the
    archive's folder itself, so taking it writes nothing into the archive."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = "a site build is reading" if exclusive else "maintain or doctor --fix is changing"
            raise ArchiveLocked(f"{holder} the posts of {root} (a lock on the folder itself)") from None
        yield
    finally:
        os.close(fd)
