"""Remembered drops: articles a feed's crawl dropped for their content, not fetched again by later runs.

A page that downloads fine but gives no post (a time that cannot be read or is before 2000, no body,
no media name, markup that breaks the parser: CONTENT_REASONS) would be listed, fetched and dropped
again by every scheduled run (and, the only article of a run, fail it with exit status 5). Its key is
remembered in the archive's `.finews.<feed>.drops` (crawler/archive/layout.py) with its reason, and
the spider skips it as it skips a known post (finews/skipped/dropped): for CONFIRMED_AFTER after its
first drop (the next scheduled runs ask nothing and exit 0); then it is fetched once more, and a page
dropped again then is skipped until EXPIRES_AFTER after its last drop. A page briefly blank costs an
hour; a broken one, one request a week. FINEWS_RETRY_DROPS fetches remembered drops again (after a
parser fix): one that is written then is forgotten.

Never remembered: a download failure after the retries (403, 429, 5xx, a timeout, a reset, robots.txt,
too large), a page that may be a passing state of the site (empty, cut short, redirected, not HTML),
a time in the future; nor anything of a run that dropped more than MASS_DROPS pages for their content
and more than its failure ratio allows (the site, not the pages, is likely at fault).

The file is JSON Lines, one object a line, sorted by key:
    {"key": "...", "reason": "no_time", "url": "https://...", "first": "<ISO time>", "last": "<ISO time>", "count": 1}
It is hostile input (the archive is public, and old scripts wrote it): a file that is a link, no
regular file, larger than MAX_BYTES or not UTF-8 is ignored, so is each line that is not such an
object (said once in the log). It is rewritten atomically, with its newest MAX_DROPS entries, only
when the run changed it. Each machine keeps its own: a distributed crawl shares no drops in Redis.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from crawler.archive.files import atomic_writer, file_text
from crawler.items import SHANGHAI, iso_beijing

logger = logging.getLogger(__name__)

CONTENT_REASONS = frozenset(
    {
        # the parser (crawler/parsers/article.py, crawler/spiders/base.py): a page that gives no article
        "no_id",
        "no_body",
        "no_title",
        "no_time",
        "empty_body",
        "too_many_elements",
        "parser_error",
        # the validate pipeline (Feed.problem): an article that cannot be a post
        "bad_info_code",
        "bad_id",
        "too_old",
        "no_source",
    }
)
MAX_DROPS = 10_000  # the newest kept (by their last drop)
MAX_BYTES = 8 * 1024 * 1024  # a larger file is ignored
MASS_DROPS = 20
# A page dropped once is skipped for CONFIRMED_AFTER (a page briefly blank, a maintenance hour, are
# fetched again after it); dropped again at least that long after its first drop, it is skipped until
# EXPIRES_AFTER after its last drop (then it is fetched once more: a page East Money fixed comes back).
CONFIRMED_AFTER = timedelta(hours=1)
EXPIRES_AFTER = timedelta(days=7)
_FIELDS = ("key", "reason", "url", "first", "last", "count")  # in the order written


class Drops:
    """A feed's remembered drops: read once (load), noted and forgotten during the run, saved at its end."""

    def __init__(self, path: Path, key_pattern: re.Pattern, temp_prefix: str, retry: bool = False):
        self.path = Path(path)
        self.key_pattern = key_pattern
        self.retry = retry  # FINEWS_RETRY_DROPS: skip none (they are fetched again)
        self.temp_prefix = temp_prefix  # of its temp file (crawler/archive/layout.py, temp_prefix)
        self.records: dict[str, dict] = {}  # key -> record, as read from the file
        self.new: dict[str, dict] = {}  # dropped (again) in this run
        self.forgotten = False  # a remembered drop was written in this run

    def load(self) -> None:
        """Read the file; what cannot be read is ignored, and said once (a warning)."""
        try:
            text = file_text(self.path, MAX_BYTES)
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("Remembered drops %s ignored (they are fetched again): %s", self.path, exc)
            return
        bad = 0
        for line in text.split("\n"):  # not splitlines(): a URL may hold U+2028 and kin
            record = self._record(line) if line.strip() else None
            if record is None:
                bad += 1 if line.strip() else 0
            else:
                self.records[record["key"]] = record
        if bad:
            logger.warning("Remembered drops %s: %d unreadable lines ignored", self.path, bad)

    def _record(self, line: str) -> dict | None:
        """The record of a line of the file, or None when it is not one this module writes."""
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            return None
        if not isinstance(record, dict) or set(record) != set(_FIELDS):
            return None
        texts = all(isinstance(record[name], str) and len(record[name]) <= 2000 for name in _FIELDS[:-1])
        count = record["count"]
        if not texts or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return None
        if record["reason"] not in CONTENT_REASONS or not self.key_pattern.fullmatch(record["key"]):
            return None
        return record

    def skips(self, key: str, now: datetime | None = None) -> bool:
        """Whether the article of `key` is not to be fetched: dropped for its content by an earlier run
        less than CONFIRMED_AFTER ago; or dropped again at least CONFIRMED_AFTER after its first drop,
        the last time no longer ago than EXPIRES_AFTER."""
        record = None if self.retry else self.records.get(key)
        if record is None:
            return False
        try:
            first, last = datetime.fromisoformat(record["first"]), datetime.fromisoformat(record["last"])
            now = now or datetime.now(SHANGHAI)
            if last - first < CONFIRMED_AFTER:  # not confirmed: an hour's pause, then once more
                return timedelta(0) <= now - first < CONFIRMED_AFTER
            return timedelta(0) <= now - last <= EXPIRES_AFTER
        except (ValueError, TypeError):  # not a time, or one without its zone
            return False

    def remembered(self, key: str, reason: str) -> bool:
        """Whether `key` was dropped for its content by an earlier run and is dropped for its content again:
        a page known to be bad, not a failure of this run (not counted against its failure ratio)."""
        return reason in CONTENT_REASONS and key in self.records

    def note(self, key: str, reason: str, url: str = "") -> None:
        """An article dropped for `reason`: remembered when the reason is its content's."""
        if reason not in CONTENT_REASONS or not isinstance(key, str) or not self.key_pattern.fullmatch(key):
            return
        now = iso_beijing(datetime.now(SHANGHAI))
        old = self.new.get(key) or self.records.get(key) or {"first": now, "count": 0}
        self.new[key] = {
            "key": key,
            "reason": reason,
            "url": str(url or old.get("url") or "")[:2000],
            "first": old["first"],
            "last": now,
            "count": old["count"] + 1,
        }

    def forget(self, key: str) -> None:
        """An article written (retried after a parser fix): no longer a drop."""
        if self.records.pop(key, None) is not None:
            self.forgotten = True
        self.new.pop(key, None)

    def save(self, requested: int = 0, max_failure_ratio: float = 1.0) -> None:
        """Write the file if the run changed it (OSError when it cannot be written).

        This run's drops are not kept when they are every article it asked for (more than one), or more
        than MASS_DROPS and more than `max_failure_ratio` of the `requested`: a broken site, not broken
        pages."""
        every = requested > 1 and len(self.new) >= requested
        if every or (len(self.new) > MASS_DROPS and len(self.new) > max_failure_ratio * requested):
            logger.warning(
                "Not remembering the %d articles dropped for their content: too many for broken pages, "
                "the site may be at fault (the next run fetches them again)",
                len(self.new),
            )
            self.new.clear()
        if not self.new and not self.forgotten:
            return
        kept = sorted({**self.records, **self.new}.values(), key=lambda r: r["last"], reverse=True)[:MAX_DROPS]
        with atomic_writer(self.path, self.temp_prefix) as handle:
            for record in sorted(kept, key=lambda r: r["key"]):
                handle.write(json.dumps({name: record[name] for name in _FIELDS}, ensure_ascii=False) + "\n")
        self.records, self.new, self.forgotten = {record["key"]: record for record in kept}, {}, False
