"""Every name the archive owns on disk, defined once: nobody else spells one (tests/test_architecture.py).

_posts/YYYY-MM-DD-<key>.md       a post; <key> is an infoCode (per-media) or a bare id (7x24)
<FINEWS_OLD_POSTS_DIR>/...       older posts moved out of Jekyll's way (default old_post/)
category/<slug>.html             a media's category page (the per-media feed's index pages)
emnews/index.html                the 7x24 feed's index page
_finews_quarantine/              what `scrapy archive doctor --fix` moved aside (it never deletes)
_site/                           the built site (`scrapy archive build`'s default output)
<site>/.finews-site              the mark of a site folder a build made (the only kind a build empties)
.finews.<feed>.lock              a feed's lock (and how its last crawl ended)
.finews.<feed>.worker            a feed's worker id in a distributed crawl
.finews.<feed>.drops, .coverage  a feed's remembered drops (crawler/drops.py); its last runs' field coverage (extensions/coverage.py)
.finews-<feed>-XXXXXXXX.tmp      a write in progress (a killed run's leftover)
.finews.cfg                      the archive's settings record (crawler/archive/record.py; `archive init`)
"""

import re
from collections.abc import Iterable
from datetime import date

POSTS_DIR = "_posts"
CATEGORY_DIR = "category"
FAST_NEWS_DIR = "emnews"
QUARANTINE_DIR = "_finews_quarantine"
SITE_DIR = "_site"
OWN_PREFIX = ".finews"  # every file of this project's own in the archive starts so: never a post, never published
LOCK_GLOB = ".finews.*.lock"
WORKER_ID_GLOB = ".finews.*.worker"
DROPS_GLOB, COVERAGE_GLOB = ".finews.*.drops", ".finews.*.coverage"
TEMP_GLOB = ".finews-*.tmp"
SITE_MARKER = ".finews-site"
SETTINGS_FILE = ".finews.cfg"  # the archive's own FINEWS_* settings: committed with it, never a lock or a temp file
SITE_MANIFEST = ".finews-build.json"  # in a built site: what the build was made of (crawler/tools/incremental.py)
_POST_NAME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-(.+)\.md")  # fullmatch; `.` stops at a newline


def lock_name(feed: str, glob: str = LOCK_GLOB) -> str:  # a feed's lock, or its file of another glob
    return glob.replace("*", feed)


def worker_id_name(feed: str) -> str:
    return lock_name(feed, WORKER_ID_GLOB)


def drops_name(feed: str) -> str:
    return lock_name(feed, DROPS_GLOB)


def temp_prefix(feed: str) -> str:
    """The prefix of a feed's temp files: it tells its leftovers from another feed's."""
    return TEMP_GLOB.replace("*.tmp", f"{feed}-")


def is_own_file(name: str) -> bool:
    """Whether `name` is one of this project's own files (lock, worker id, temp file)."""
    return name.startswith(OWN_PREFIX)


def is_temp_file(name: str) -> bool:
    return name.startswith(OWN_PREFIX + "-") and name.endswith(".tmp")


def post_name(day: date, key: str) -> str:
    """The file name of the post of `key` dated `day` (Beijing): `YYYY-MM-DD-<key>.md`."""
    return f"{day:%Y-%m-%d}-{key}.md"


def post_key(name: str) -> str | None:
    """The key of the post file `name` (`YYYY-MM-DD-<key>.md`: the digits, not a real day, as Jekyll), else None."""
    match = _POST_NAME_RE.fullmatch(name)
    return match[1] if match else None


def post_day(name: str) -> date | None:
    """The day in the post file name `name` (Beijing time), else None (no post name, or no real day)."""
    try:
        return date.fromisoformat(name[:10]) if post_key(name) is not None else None
    except ValueError:
        return None


def post_keys(names: Iterable[str]) -> set[str]:
    """The keys of the post files among `names`: a run's start, a million names in under a second (bench/index.py)."""
    return {match[1] for match in map(_POST_NAME_RE.fullmatch, names) if match}
