"""The archive's feeds: what makes a per-media post and a 7x24 (emnews) post differ, in one place.

A feed is what one spider writes into the archive. `Feed` says, for the items of that spider:
the post key and the pattern it must match, what else an item needs to be written, how it
renders, the index page its post links to, its lock name and the label it is counted under;
and, for a post read back, how its media name is found. Items are read by field name, so
dicts with the fields of crawler/items.py work as well as the dataclasses.

    feed            spider          post file                       category   index page
    ArticleFeed     eastmoney       _posts/YYYY-MM-DD-NW<id>.md      <slug>     category/<slug>.html
    FastNewsFeed    eastmoney_724   _posts/YYYY-MM-DD-<id>.md        emnews     emnews/index.html

Adding a feed is one Feed subclass here (listed in FEEDS) and one spider that names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from datetime import datetime
from pathlib import Path

from crawler.archive import layout
from crawler.archive.hygiene import clean_item, has_visible
from crawler.archive.render import (
    FAST_FEED_CATEGORY,
    FAST_FEED_LABEL,
    render_category_page,
    render_fast_feed_index,
    render_fast_post,
    render_post,
)
from crawler.archive.slugs import MAX_SLUG_BYTES, category_slug
from crawler.ids import ID_RE, INFO_CODE_RE
from crawler.items import ListEntry, in_future, too_old


class Feed:
    """One kind of post in the archive; subclasses fill in the class attributes and the hooks."""

    name: str  # its spider's name, and its lock's: .finews.<name>.lock
    label: str  # how people call it
    key_field: str  # the item field that holds the post key
    key_pattern: re.Pattern
    bad_key_reason: str  # the drop reason of an item whose key does not match
    index_dir: str  # the folder of its index pages (crawler/archive/layout.py)
    category_per_source = False  # whether the category is made from the media name (its slug)
    owns_the_rest = False  # whether a key or category no other feed owns is this feed's (one feed says so)

    def entry_key(self, entry: ListEntry) -> str:
        """The post key a list entry will have: known entries are never fetched."""
        raise NotImplementedError

    def post_key(self, item: Mapping) -> str:
        """The item's key in the archive (its post's file name after the date)."""
        return str(item.get(self.key_field) or "")

    def clean(self, item: MutableMapping) -> None:
        """Remove what the archive will not write from the item's texts (crawler/archive/hygiene.py)."""
        clean_item(item)

    def problem(self, item: Mapping) -> str | None:
        """The first reason the (cleaned) item cannot be written, or None when it is complete."""
        published_at = item.get("published_at")
        if not self.key_pattern.fullmatch(self.post_key(item)):
            return self.bad_key_reason
        if not has_visible(item.get("title") or ""):
            return "no_title"
        if not isinstance(published_at, datetime) or published_at.tzinfo is None:
            return "no_time"
        if in_future(published_at):
            return "future_time"
        if too_old(published_at):
            return "too_old"
        return self.content_problem(item)

    def content_problem(self, item: Mapping) -> str | None:
        """The feed's own requirements (source, body), checked after the common ones."""
        raise NotImplementedError

    def category(self, item: Mapping) -> str:
        """The category of the item's post (its `categories:`), which names its index page."""
        raise NotImplementedError

    def counted_as(self, item: Mapping) -> str:
        """The name a written post is counted under in the run summary ("new posts by source")."""
        return self.label

    def render(self, item: Mapping, site_url: str, share_url: str, stocks: bool = False) -> str:
        """The post's text (`stocks`: its front matter names the item's stocks)."""
        raise NotImplementedError

    def index_path(self, category: str) -> str:
        """Where the index page of `category` goes, relative to the archive; ValueError when unsafe."""
        raise NotImplementedError

    def index_page(self, category: str, source: str) -> str:
        """The text of the index page of `category`, whose posts name `source`; ValueError when it cannot be made."""
        raise NotImplementedError

    def owns(self, category: str) -> bool:
        """Whether a post of `category` is this feed's (reading the archive back); see feed_of_category."""
        return False

    def category_of_page(self, page: Path) -> str:
        """The category whose index page is `page` (one of the files of index_dir)."""
        raise NotImplementedError

    def source_of_post(self, tags: str, em_media: str) -> str:
        """A written post's media name, from its `tags:` and the text of its em_media line."""
        return em_media


class ArticleFeed(Feed):
    """Per-media posts (spider `eastmoney`): keyed by infoCode, one category per media name.

    Its categories are open-ended (one per media name), so it owns every category that no
    other feed owns: feed_of_category falls back to it.
    """

    name = "eastmoney"
    label = "per-media news"
    key_field = "info_code"
    key_pattern = INFO_CODE_RE
    bad_key_reason = "bad_info_code"
    index_dir = layout.CATEGORY_DIR
    category_per_source = True
    owns_the_rest = True

    def entry_key(self, entry: ListEntry) -> str:
        return entry.info_code

    def content_problem(self, item: Mapping) -> str | None:
        source = item.get("source") or ""
        if not has_visible(source) or not category_slug(source):
            return "no_source"
        if not any((p or "").strip() for p in item.get("paragraphs") or ()):
            return "empty_body"
        return None

    def category(self, item: Mapping) -> str:
        return category_slug(item["source"])

    def counted_as(self, item: Mapping) -> str:
        return item["source"]

    def render(self, item: Mapping, site_url: str, share_url: str, stocks: bool = False) -> str:
        return render_post(item, self.category(item), share_url, site_url, stocks)

    def index_path(self, category: str) -> str:
        # no file name: a separator (either), a control character, a leading dot, nothing, longer than a slug may be
        unsafe = category != Path(category).name or category.startswith(".") or "\\" in category
        unsafe = unsafe or any(ord(c) < 0x20 or ord(c) == 0x7F for c in category)
        if unsafe or not category or len(category.encode("utf-8", "replace")) > MAX_SLUG_BYTES:
            raise ValueError(f"unsafe category {category[:60]!r}")
        return f"{self.index_dir}/{category}.html"

    def index_page(self, category: str, source: str) -> str:
        if not source:
            raise ValueError("no source to title its category page")
        return render_category_page(source, category)

    def source_of_post(self, tags: str, em_media: str) -> str:
        return tags.removesuffix("新闻") if tags.endswith("新闻") else em_media  # tagged "<source>新闻"

    def category_of_page(self, page: Path) -> str:
        return page.stem


class FastNewsFeed(Feed):
    """The 7x24 rolling feed (spider `eastmoney_724`): emnews posts keyed by the bare id."""

    name = "eastmoney_724"
    label = FAST_FEED_LABEL
    key_field = "article_id"
    key_pattern = ID_RE
    bad_key_reason = "bad_id"
    index_dir = layout.FAST_NEWS_DIR

    def entry_key(self, entry: ListEntry) -> str:
        return entry.article_id  # beside the per-media NW copy of the same article

    def content_problem(self, item: Mapping) -> str | None:
        has_body = any((p or "").strip() for p in item.get("paragraphs") or ())
        if not has_body and not has_visible(item.get("summary") or ""):  # summary-only posts are fine
            return "empty_body"
        return None

    def category(self, item: Mapping) -> str:
        return FAST_FEED_CATEGORY

    def render(self, item: Mapping, site_url: str, share_url: str, stocks: bool = False) -> str:
        return render_fast_post(item, site_url, stocks)

    def index_path(self, category: str) -> str:
        return f"{self.index_dir}/index.html"

    def index_page(self, category: str, source: str) -> str:
        return render_fast_feed_index()

    def owns(self, category: str) -> bool:
        return category == FAST_FEED_CATEGORY

    def category_of_page(self, page: Path) -> str:
        return FAST_FEED_CATEGORY


ARTICLES = ArticleFeed()
FAST_NEWS = FastNewsFeed()
FEEDS = (ARTICLES, FAST_NEWS)  # every feed: `scrapy archive` commands take all their locks


def feed_named(name: str) -> Feed:
    """The feed called `name` (FINEWS_FEED); ValueError naming the valid ones."""
    for feed in FEEDS:
        if feed.name == name:
            return feed
    raise ValueError(f"unknown feed {name!r}: use one of {', '.join(feed.name for feed in FEEDS)}")


def _the_rest() -> Feed:
    return next(feed for feed in FEEDS if feed.owns_the_rest)


def feed_of_key(key: str) -> Feed:
    """The feed whose post has the key `key` (its key pattern), else the one that owns the rest."""
    return next((feed for feed in FEEDS if feed.key_pattern.fullmatch(key)), None) or _the_rest()


def feed_of_category(category: str) -> Feed:
    """The feed whose posts have `category`: the one that owns it, else the one that owns the rest."""
    return next((feed for feed in FEEDS if feed.owns(category)), None) or _the_rest()
