"""`scrapy archive maintain`: move old posts out of Jekyll's way, restore missing index pages.

--move-older-than DAYS: posts dated (by file name, Beijing time) more than DAYS days ago go from
`_posts/` to the old-posts folder; --fix-categories: the missing index pages of the posts of both
folders are written. It holds every feed's lock, so it never runs while a crawl writes.

A move never passes through a symbolic link below the archive's root and never replaces a file:
a post whose old-posts copy is there already (run `scrapy archive doctor`: duplicate_key), or
whose way there is a link, stays where it is and is named on stderr; the others move. A post whose
fields cannot be read (crawler/tools/posts.py) or whose category has no safe page name is named
and skipped by --fix-categories.

Jekyll builds every post in `_posts/`, so the archive's old scripts moved posts older than a
few days to the old-posts folder (excluded from the build); the dedupe index still reads it.
Index pages are rendered by the writer's own renderers, so a restored page is the page the
writer would have made. The caller holds the archive's locks.
"""

import sys
from argparse import Namespace
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

from crawler.archive import Archive, layout
from crawler.archive.feeds import feed_of_category
from crawler.archive.index import post_files
from crawler.archive.store import AlreadyThere, ArchiveLinked
from crawler.exitstatus import ExitStatus
from crawler.items import SHANGHAI
from crawler.tools.posts import post_record
from crawler.tools.verb import Option, Verb, VerbFailed, whole_number


class Maintain(Verb):
    name = "maintain"
    summary = "move old posts to the old-posts folder; write missing category pages"
    options = (
        Option(("--move-older-than",), "move posts older than DAYS days to the old-posts folder", {"metavar": "DAYS"}),
        Option(
            ("--fix-categories",), "write the index pages posts link to but the archive lacks", {"action": "store_true"}
        ),
    )
    holds_locks = True

    def posts_lock(self, opts: Namespace) -> str | None:
        return "exclusive"

    def check(self, opts: Namespace) -> None:
        if opts.move_older_than is None and not opts.fix_categories:
            raise VerbFailed(ExitStatus.USAGE, "maintain needs --move-older-than DAYS, --fix-categories or both")
        try:
            whole_number(opts.move_older_than, "--move-older-than")
        except VerbFailed:
            raise VerbFailed(ExitStatus.USAGE, "--move-older-than needs 0 or more days (a whole number)") from None

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        older_than = whole_number(opts.move_older_than, "--move-older-than")
        if older_than is not None:
            before = datetime.now(SHANGHAI).date() - timedelta(days=older_than)
            moved, refused = move_old_posts(archive, before)
            for path, reason in refused.items():
                print(f"not moved {path.relative_to(archive.root)}: {reason}", file=sys.stderr)
            old = archive.old_posts_dir.relative_to(archive.root).as_posix()
            print(f"moved {len(moved)} posts dated before {before} (older than {older_than} days) to {old}/")
            if refused:
                print(f"{len(refused)} posts left in {archive.posts_dir.name}/ (named above)", file=sys.stderr)
        if opts.fix_categories:
            pages, unreadable = missing_index_pages(archive)
            for path, reason in unreadable.items():
                print(f"skipped {path}: {reason}", file=sys.stderr)
            for path, text in sorted(pages.items()):
                archive.write(path, text)
                print(f"wrote {path.relative_to(archive.root)}")
            print(f"{len(pages)} missing index pages written")
        return ExitStatus.OK


def move_old_posts(archive: Archive, before: date) -> tuple[list[Path], dict[Path, str]]:
    """Move the posts of `_posts/` dated (by file name) before `before` into the old-posts folder.

    Each move is one rename (Archive.move), so at any moment a post is in exactly one of the two
    folders. Returns the moved posts' new paths, and the posts left where they are, with the
    reason: a file of that name in the old-posts folder (never overwritten) or a symbolic link
    on the way (never followed out of the archive).
    """
    moved, refused = [], {}
    old = archive.old_posts_dir.relative_to(archive.root).as_posix()
    for path in post_files(archive.posts_dir):
        day = layout.post_day(path.name)
        if day is not None and day < before:
            target = archive.old_posts_dir / path.relative_to(archive.posts_dir)
            try:
                archive.move(path, target)
            except AlreadyThere:  # never replaced
                refused[path] = f"already in {old}/: run scrapy archive doctor"
                continue
            except ArchiveLinked as exc:
                refused[path] = str(exc)
            else:
                moved.append(target)
    return moved, refused


def missing_index_pages(archive: Archive) -> tuple[dict[Path, str], dict[Path, str]]:
    """The index pages the posts of `_posts/` and of the old-posts folder link to but the archive
    lacks, with their text; and the posts that could not be read, with the reason."""
    pages, unreadable = {}, {}
    for path in [path for folder in archive.index_dirs for path in post_files(folder)]:
        try:
            record = post_record(path, archive.root)
        except (OSError, ValueError) as exc:
            unreadable[path] = str(exc)
            continue
        category, source = record["category"], record["source"]
        feed = feed_of_category(category)
        try:
            target, text = archive.root / feed.index_path(category), feed.index_page(category, source)
        except ValueError as exc:  # an unsafe category (or too long a page name), no source to title its page
            unreadable[path] = str(exc)
            continue
        if target not in pages and not target.exists():
            pages[target] = text
    return pages, unreadable
