"""Validate items before they reach the archive; drop incomplete or unsafe ones with a reason."""

import re
from datetime import datetime, timedelta

from crawler.items import FastNews
from crawler.parsers.dates import SHANGHAI
from crawler.parsers.ids import ID_RE
from pipelines import drop
from pipelines.archive import archive_for
from pipelines.slugs import category_slug

_INFO_CODE_RE = re.compile(r"^NW\d{17,18}$")
FUTURE_TOLERANCE = timedelta(hours=1)  # clock skew between East Money and this machine


class ValidatePipeline:
    def __init__(self, stats, archive):
        self.stats = stats
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, archive_for(crawler))

    def process_item(self, item, spider=None):
        reason = problem(item)
        if reason:
            self.archive.release(item.post_key)  # distributed crawls: another worker may do better
            raise drop(self.stats, reason, getattr(item, "url", ""))
        return item


def problem(item) -> str | None:
    """The first reason an Article or FastNews cannot be written, or None when it is complete."""
    fast = isinstance(item, FastNews)
    key_re = ID_RE if fast else _INFO_CODE_RE
    published_at = item.published_at
    if not key_re.match(item.post_key or ""):
        return "bad_id" if fast else "bad_info_code"
    if not (item.title or "").strip():
        return "no_title"
    if not isinstance(published_at, datetime) or published_at.tzinfo is None:
        return "no_time"
    if published_at > datetime.now(SHANGHAI) + FUTURE_TOLERANCE:
        return "future_time"
    if not fast and not category_slug((item.source or "").strip()):
        return "no_source"
    has_body = any((p or "").strip() for p in item.paragraphs or ())
    if not has_body and not (fast and item.summary.strip()):
        return "empty_body"
    return None
