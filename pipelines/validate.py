"""Validate articles before they reach the archive; drop incomplete or unsafe ones with a reason."""

import re
from datetime import datetime, timedelta

from itemadapter import ItemAdapter

from crawler.parsers.dates import SHANGHAI
from pipelines import drop
from pipelines.slugs import category_slug

_INFO_CODE_RE = re.compile(r"^NW\d{17,18}$")
FUTURE_TOLERANCE = timedelta(hours=1)  # clock skew between East Money and this machine


class ValidatePipeline:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        reason = problem(ItemAdapter(item).asdict())
        if reason:
            raise drop(self.stats, reason, ItemAdapter(item).get("url", ""))
        return item


def problem(fields: dict) -> str | None:
    """The first reason an article cannot be written, or None when it is complete."""
    published_at = fields.get("published_at")
    source = (fields.get("source") or "").strip()
    if not _INFO_CODE_RE.match(fields.get("info_code") or ""):
        return "bad_info_code"
    if not (fields.get("title") or "").strip():
        return "no_title"
    if not isinstance(published_at, datetime) or published_at.tzinfo is None:
        return "no_time"
    if published_at > datetime.now(SHANGHAI) + FUTURE_TOLERANCE:
        return "future_time"
    if not source or not category_slug(source):
        return "no_source"
    if not any((p or "").strip() for p in fields.get("paragraphs") or ()):
        return "empty_body"
    return None
