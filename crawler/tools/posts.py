"""Read a post back: its text, its fields as Jekyll reads them, and one flat record.

Every command that reads posts (export, maintain, doctor) reads a file with `file_text` and its
fields with the readers here: a post one of them reads, all of them read. A field that is no scalar
or flat list of scalars is unusable (ValueError), never expanded (nine nested aliases are billions
of items). The record is what `scrapy archive export` prints and what maintenance needs to rebuild
a category page: key, date (ISO 8601, +08:00), title, source, category, path, and the secids of its `stocks:`.
"""

import html
import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import date, datetime, time
from pathlib import Path

from crawler.archive.feeds import feed_of_category
from crawler.archive.files import file_text
from crawler.archive.frontmatter import read_front_matter
from crawler.archive.layout import post_day, post_key
from crawler.archive.render import secids
from crawler.items import SHANGHAI, iso_beijing

_EM_MEDIA_RE = re.compile(r'<p class="em_media">（文章来源：(.*?)）</p>')
_TAG_RE = re.compile(r"<[^>]*>")
_SCALARS = (str, int, float, date)  # YAML's scalars as PyYAML makes them (bool is an int, datetime a date)


def _scalar_text(value: object, field: str) -> str:
    """A scalar as Jekyll prints it (Ruby's to_s: 12345, true, "" for null); ValueError otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, _SCALARS):
        return "" if value is None else str(value)
    raise ValueError(f"{field}: a {type(value).__name__} where a scalar or a flat list of scalars goes")


def _joined(front: Mapping, field: str) -> str:
    value = front.get(field)
    items = value if isinstance(value, list) else [value]  # a string stays whole: it names the index page
    return " ".join(_scalar_text(item, field) for item in items if item is not None)  # Jekyll drops nulls


def post_title(front: Mapping) -> str:
    """The post's `title:` as text ("" when it has none); ValueError when it is no scalar."""
    return _scalar_text(front.get("title"), "title")


def post_categories(front: Mapping) -> str:
    """The post's `categories:`, a list's items joined by a space as Jekyll's site lists join them; ValueError."""
    return _joined(front, "categories")


def post_tags(front: Mapping) -> str:
    """The post's `tags:` (a list's items joined by a space); ValueError as for post_categories."""
    return _joined(front, "tags")


def post_date(front: Mapping, name: str) -> datetime:
    """The post's time, aware: a timestamp in its zone, else in Beijing time (the site's timezone; East
    Money's times are Beijing's, though Jekyll's YAML takes an unquoted one without a zone as UTC); a day
    at midnight; without `date:` the file name's day. ValueError otherwise (an empty `date:` stops Jekyll)."""
    value = front["date"] if "date" in front else post_day(name)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time(), SHANGHAI)
    text = _scalar_text(value, "date").strip()
    for parse in (lambda t: datetime.strptime(t, "%Y-%m-%d %H:%M:%S %z"), datetime.fromisoformat):
        with suppress(ValueError):
            moment = parse(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    raise ValueError(f"date: {text[:40]!r} is not a date")


def without_bom(text: str) -> tuple[str, str]:
    """(the UTF-8 byte order mark or "", the text after it): Jekyll reads a post with "bom|utf-8"."""
    return ("\ufeff", text[1:]) if text.startswith("\ufeff") else ("", text)


def post_record(path: Path, root: Path) -> dict:
    """The record of the post file `path` in the archive `root`; ValueError when unusable, OSError when unreadable."""
    _, text = without_bom(file_text(path))  # as Jekyll reads a post
    read = read_front_matter(text)  # NoFrontMatter is a ValueError
    front = read.fields
    if front.get("title") is None or front.get("categories") is None:
        raise ValueError("front matter without a title or categories")
    category, tags = post_categories(front), post_tags(front)
    em_media = _EM_MEDIA_RE.search(text, read.body_at)  # its text: the old archive's hold stock auto-links
    media = html.unescape(_TAG_RE.sub("", em_media.group(1))).strip() if em_media else ""
    source = feed_of_category(category).source_of_post(tags, media)
    return {
        "key": post_key(path.name),
        "date": iso_beijing(post_date(front, path.name)),
        "title": post_title(front),
        "source": source,
        "category": category,
        "path": path.relative_to(root).as_posix(),
        "stocks": post_stocks(front),
    }


def post_stocks(front: Mapping) -> list[str]:
    """The secids of the front matter's `stocks:` (FINEWS_FRONT_MATTER_STOCKS), well formed, in order,
    each once; [] when it names none."""
    listed = front.get("stocks")
    return secids({"stocks": [{"secid": s} for s in listed]}) if isinstance(listed, list) else []
