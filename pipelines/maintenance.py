"""Archive upkeep (`scrapy archive maintain`): move old posts out of Jekyll's way, restore index pages.

Jekyll builds every post in `_posts/`, so the archive's old scripts moved posts older than a
few days to the old-posts folder (excluded from the build); the dedupe index still reads it.
Index pages are rendered by the writer's own renderers, so a restored page is the page the
writer would have made. The caller holds the archive's locks.
"""

from datetime import date
from pathlib import Path

from pipelines.archive import Archive, post_files
from pipelines.posts import post_record
from pipelines.render import FAST_FEED_CATEGORY, render_category_page, render_fast_feed_index


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
    """The index pages the posts in `_posts/` link to but the archive lacks, with their text;
    and the posts that could not be read, with the reason."""
    pages, unreadable = {}, {}
    for path in post_files(archive.posts_dir):
        try:
            record = post_record(path, archive.root)
        except (OSError, ValueError) as exc:
            unreadable[path] = str(exc)
            continue
        slug, source = record["category"], record["source"]
        if slug == FAST_FEED_CATEGORY:
            target = archive.root / FAST_FEED_CATEGORY / "index.html"
        elif not slug or slug != Path(slug).name or slug.startswith("."):
            unreadable[path] = f"unsafe category {slug!r}"
            continue
        elif not source:
            unreadable[path] = "no source to title its category page"
            continue
        else:
            target = archive.root / "category" / f"{slug}.html"
        if target not in pages and not target.exists():
            fast = slug == FAST_FEED_CATEGORY
            pages[target] = render_fast_feed_index() if fast else render_category_page(source, slug)
    return pages, unreadable
