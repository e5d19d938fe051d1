"""What an offline verb of `scrapy archive` is: a name, its options, whether it holds the locks, and run().

The command (crawler/commands/archive.py) builds its parser from the verbs' options, refuses an
option of another verb and any argument (but the archive's folder, for a verb that `takes_folder`),
takes every feed's lock for a verb that holds them, and turns what run() raises into the exit status
and one line (crawler/exitstatus.py). A verb imports no Scrapy: `settings` is any mapping with
Scrapy's `get`.
"""

from argparse import Namespace
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.archive import Archive
from crawler.exitstatus import ExitStatus


class VerbFailed(Exception):
    """The verb could not do its work: the exit status and one line saying why."""

    def __init__(self, status: ExitStatus, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Option:
    """One command-line option of a verb: argparse's add_argument(*flags, help=..., **settings).

    An option that names a file the verb writes (`writes_file`) is checked by output_file() before the
    verb runs: never empty, never a file of the archive ("-": stdout, where the verb allows it). An
    option whose value stands for a FINEWS_* setting (`setting`) is checked as that setting is
    (crawler/config.py) before the verb runs. Two verbs may offer the same flags (init's and publish's
    --remote): the command line has one such option, and the verb run reads it."""

    flags: tuple[str, ...]
    help: str
    settings: dict[str, Any] = field(default_factory=dict)
    writes_file: bool = False
    setting: str | None = None


class Verb:
    """One verb; a subclass fills in the attributes and run()."""

    name: str
    summary: str  # one line for `scrapy archive -h`
    options: tuple[Option, ...] = ()
    holds_locks = False  # True: it runs under every feed's lock, never beside a crawl (else exit status 3)
    when_locked = "nothing was done"  # what a locked archive left undone, said after the lock's message
    prints_its_product = False  # True: stdout is what the verb makes (export); else a report of its work
    takes_folder = False  # True: the archive's folder is its one argument (`init DIR`): FINEWS_ARCHIVE_DIR of the run
    makes_archive = False  # True: the folder need not be an archive yet (no posts folder, or no folder at all)
    takes_files = False  # True: its arguments are files it reads (`replay WARC...`): opts.files; opts.crawl runs crawls

    def check(self, opts: Namespace) -> None:
        """Refuse options that make no sense together: VerbFailed(ExitStatus.USAGE, why)."""

    def needs_locks(self, opts: Namespace) -> bool:
        """Whether this run of the verb holds every feed's lock (holds_locks, unless a verb says otherwise)."""
        return self.holds_locks

    def posts_lock(self, opts: Namespace) -> str | None:
        """How this run holds the posts lock (crawler/archive/lock.py posts_held): "exclusive" when it moves
        or rewrites posts, "shared" when it reads them all at once (a build), None when it does neither."""
        return None

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        """Do the work on `archive` (under every feed's lock when holds_locks); print what was done."""
        raise NotImplementedError


def whole_number(value: str | None, option: str, most: int = 100_000) -> int | None:
    """`value` of `option` as a whole number from 0 to `most` (None stays None); VerbFailed(USAGE) otherwise."""
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > most:
        raise VerbFailed(ExitStatus.USAGE, f"{option} takes a whole number from 0 to {most}, not {value!r}")
    return int(value)


def output_file(archive: Archive, value: str, option: str) -> Path:
    """The file `option` names for a verb's output; VerbFailed(USAGE) when it is empty or inside the archive
    (where it would replace a post, a page or a lock, be published by Jekyll or committed by publish)."""
    if not value.strip():
        raise VerbFailed(ExitStatus.USAGE, f"{option} needs a file name")
    path = Path(value).resolve()
    if path.is_relative_to(archive.root):
        raise VerbFailed(ExitStatus.USAGE, f"{option} {value} is inside the archive {archive.root}: write it elsewhere")
    return path
