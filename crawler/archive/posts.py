"""Read a post of the archive back: its front matter (crawler/archive/frontmatter.py) as one flat record.

The record is what `scrapy archive export` prints and what maintenance needs to rebuild a
category page: key, date (ISO 8601, +08:00), title, source, category, path.
"""

import html
import re
from datetime import datetime
from pathlib import Path

from crawler.archive.feeds import feed_of_category
from crawler.archive.frontmatter import read_front_matter
from crawler.archive.layout import post_key
from crawler.items import iso_beijing

_EM_MEDIA_RE = re.compile(r'<p class="em_media">（文章来源：(.*?)）</p>')
_TAG_RE = re.compile(r"<[^>]*>")


def post_record(path: Path, root: Path) -> dict:
    """The record of the post file `path` (inside the archive `root`); ValueError when its front matter is unusable."""
    text = path.read_text(encoding="utf-8")
    read = read_front_matter(text)  # NoFrontMatter is a ValueError
    front = read.fields
    if not isinstance(front, dict) or not all(isinstance(front.get(k), str) for k in ("title", "categories")):
        raise ValueError("front matter without a title or categories")
    category, tags = front["categories"], str(front.get("tags", ""))
    em_media = _EM_MEDIA_RE.search(text, read.body_at)
    source = feed_of_category(category).source_of_post(tags, _text(em_media.group(1)) if em_media else "")
    return {
        "key": post_key(path.name),
        "date": iso_beijing(_front_matter_date(front.get("date"))),
        "title": front["title"],
        "source": source,
        "category": category,
        "path": path.relative_to(root).as_posix(),
    }


def _front_matter_date(value) -> datetime:
    """`date: 2021-12-31 06:49:26 +0800` (a string to PyYAML: its offset has no colon) as an aware datetime."""
    if isinstance(value, datetime) and value.tzinfo:
        return value
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        raise ValueError(f"bad date {value!r}") from None


def _text(fragment: str) -> str:
    """The text of an HTML fragment (the old archive's source lines may hold stock auto-links)."""
    return html.unescape(_TAG_RE.sub("", fragment)).strip()
