"""`scrapy archive maintain`: move old posts out of Jekyll's way, restore missing index pages, name stocks.

--move-older-than DAYS: posts dated (by file name, Beijing time) more than DAYS days ago go from
`_posts/` to the old-posts folder; --fix-categories: the missing index pages of the posts of both
folders are written; --add-stocks: a post without `stocks:` in its front matter whose saved body
still holds East Money's stock markup (the old archive's posts do; finews-crawler keeps only the
text) gets the line FINEWS_FRONT_MATTER_STOCKS writes, from the mentions the article parser takes
(crawler/parsers/body.py: the body's, not the source line's), every other byte as it was. It
holds every feed's lock, so it never runs while a crawl writes.

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

import lxml.html

from crawler.archive import Archive, layout
from crawler.archive.feeds import feed_of_category
from crawler.archive.files import file_text
from crawler.archive.frontmatter import read_front_matter
from crawler.archive.index import post_files
from crawler.archive.render import secids, stocks_line
from crawler.archive.store import AlreadyThere, ArchiveLinked
from crawler.exitstatus import ExitStatus
from crawler.items import SHANGHAI
from crawler.parsers.body import clean_body
from crawler.parsers.securities import tagged as tagged_securities
from crawler.tools.posts import post_record, without_bom
from crawler.tools.verb import Option, Verb, VerbFailed, whole_number


class Maintain(Verb):
    name = "maintain"
    summary = "move old posts to the old-posts folder; write missing category pages"
    options = (
        Option(("--move-older-than",), "move posts older than DAYS days to the old-posts folder", {"metavar": "DAYS"}),
        Option(
            ("--fix-categories",), "write the index pages posts link to but the archive lacks", {"action": "store_true"}
        ),
        Option(
            ("--add-stocks",),
            "name in each post's front matter the stocks its saved body's East Money markup tags",
            {"action": "store_true"},
        ),
    )
    holds_locks = True

    def posts_lock(self, opts: Namespace) -> str | None:
        return "exclusive"

    def check(self, opts: Namespace) -> None:
        if opts.move_older_than is None and not opts.fix_categories and not opts.add_stocks:
            raise VerbFailed(
                ExitStatus.USAGE, "maintain needs --move-older-than DAYS, --fix-categories, --add-stocks or more"
            )
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
        if opts.add_stocks:
            tagged, untagged, unreadable = add_stocks(archive)
            for path, reason in unreadable.items():
                print(f"skipped {path.relative_to(archive.root)}: {reason}", file=sys.stderr)
            print(f"named the stocks of {tagged} posts in their front matter")
            if untagged:
                print(
                    f"{untagged} posts without `stocks:` hold no East Money stock markup (finews-crawler keeps only "
                    "the text): their stocks come only from their pages"
                )
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


def add_stocks(archive: Archive) -> tuple[int, int, dict[Path, str]]:
    """Add `stocks: [...]` to the posts of both folders whose front matter has none and whose body holds
    East Money's stock markup. Returns how many posts got it, how many hold no such markup, and the
    posts that could not be read, with the reason."""
    tagged, untagged, unreadable = 0, 0, {}
    for path in [path for folder in archive.index_dirs for path in post_files(folder)]:
        try:
            bom, text = without_bom(file_text(path))
            read = read_front_matter(text)
        except (OSError, ValueError) as exc:
            unreadable[path] = str(exc)
            continue
        if "stocks" in read.fields:
            continue
        body = lxml.html.fragment_fromstring(text[read.body_at :] or "<p></p>", create_parent="div")
        found = secids({"stocks": stocks_and_boards(body)[0]})
        if not found:
            untagged += 1
            continue
        front = text[: read.closing_at]
        end = "\r\n" if front.endswith("\r\n") else "\n"
        changed = front + stocks_line(found) + end + text[read.closing_at :]
        try:  # a front matter of another shape (one flow mapping, indented) would not take the line
            same = read_front_matter(changed).fields == {**read.fields, "stocks": found}
        except ValueError:
            same = False
        if not same:
            unreadable[path] = "its front matter is not of lines `key: value`: add `stocks:` by hand"
            continue
        archive.write(path, bom + changed)
        tagged += 1
    return tagged, untagged, unreadable


def stocks_and_boards(body: lxml.html.HtmlElement) -> tuple[list[dict], list[dict]]:
    """The securities East Money tagged in a saved body, as the article parser takes them from a page."""
    return tagged_securities(clean_body(body, "https://finance.eastmoney.com/")[2])
