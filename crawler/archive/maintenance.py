"""Archive upkeep (`scrapy archive maintain`): move old posts out of Jekyll's way, restore index pages.

Jekyll builds every post in `_posts/`, so the archive's old scripts moved posts older than a
few days to the old-posts folder (excluded from the build); the dedupe index still reads it.
Index pages are rendered by the writer's own renderers, so a restored page is the page the
writer would have made. The caller holds the archive's locks.
"""

from datetime import date
from pathlib import Path

from crawler.archive.feeds import feed_of_category
from crawler.archive.index import post_files
from crawler.archive.posts import post_record
from crawler.archive.store import Archive


def move_old_posts(archive: Archive, before: date) -> list[Path]:
    """Move the posts of `_posts/` dated (by file name) before `before` into the old-posts folder.

    Each move is one rename, so at any moment a post is in exactly one of the two folders.
    Returns the moved posts' new paths.
    """
    moved = []
    for path in post_files(archive.posts_dir):
        try:
            day = date.fromisoformat(path.name[:10])
        except ValueError:
            continue
        if day < before:
            target = archive.old_posts_dir / path.relative_to(archive.posts_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
            moved.append(target)
    return moved


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
        except ValueError as exc:  # an unsafe category, no source to title its page
            unreadable[path] = str(exc)
            continue
        if target not in pages and not target.exists():
            pages[target] = text
    return pages, unreadable
