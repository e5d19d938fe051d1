"""The FINEWS_* settings checked before a crawl sends its first request: names, types, ranges, URL templates.

A wrong setting would otherwise show only as a run that reads nothing (and exits 0): here it
is one line naming the setting and what it accepts, and `scrapy crawl` exits 2. The defaults
themselves are in crawler/settings.py.
"""

import re
import unicodedata
from contextlib import suppress
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler import settings as defaults
from crawler.archive import FEEDS
from crawler.sharedindex import SharedIndexLost, redis_client, shown_url

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# name -> (the type a value converts to, lowest, highest, what the range means)
_NUMBERS = {
    "FINEWS_LIST_PAGE_SIZE": (int, 20, 200, "the entries a list API page may hold"),
    "FINEWS_FAST_PAGE_SIZE": (int, 1, 200, "the items a 7x24 feed page may hold"),
    "FINEWS_MAX_LIST_ENTRIES": (int, 1, 10_000, "entries taken from one list page"),
    "FINEWS_MAX_ARTICLE_FAILURE_RATIO": (float, 0.0, 1.0, "a share of the article pages asked for"),
    "FINEWS_PROGRESS_INTERVAL": (float, 0.0, None, "seconds; 0 turns progress off"),
    "FINEWS_RETRY_BACKOFF_BASE": (float, 0.0, None, "seconds"),
    "FINEWS_RETRY_BACKOFF_MAX": (float, 0.0, None, "seconds"),
    "FINEWS_REDIS_CLAIM_TTL": (int, 1, None, "seconds"),
    "FINEWS_REDIS_IDLE_WAIT": (float, 0.0, None, "seconds"),
    "FINEWS_REDIS_TIMEOUT": (float, 0.1, None, "seconds"),
    "FINEWS_WARC_MAX_BYTES": (int, 1, None, "bytes a WARC file reaches before the next one is opened"),
    "FINEWS_COVERAGE_HISTORY": (int, 0, 1000, "runs kept per feed; 0 turns the drift check off"),
    "FINEWS_COVERAGE_MIN_ITEMS": (int, 1, None, "items a run needs to be compared with the usual level"),
    "FINEWS_COVERAGE_MIN_RUNS": (int, 1, 1000, "earlier runs a usual level needs"),
    "FINEWS_COVERAGE_DROP": (float, 0.01, 1.0, "a share: how far below the usual level a field alarms"),
}
# URL template -> (placeholders it may use, placeholders it must use)
_TEMPLATES = {
    "FINEWS_LIST_API_URL": ({"column", "page", "page_size", "req_trace"}, {"column", "page"}),
    "FINEWS_LIST_PAGE_URL": ({"slug"}, {"slug"}),
    "FINEWS_ARTICLE_URL": ({"id"}, {"id"}),
    "FINEWS_FAST_LIST_URL": ({"sort_end", "page_size", "req_trace"}, {"sort_end"}),
    "FINEWS_SHARE_URL": ({"info_code"}, set()),
}
# The URL templates whose text goes into every post (crawler/archive/render.py writes the share link as
# <URL>): outside their placeholders, none of what could end that link or open markup.
_IN_POSTS = {"FINEWS_SHARE_URL"}
_LINK_BREAKING = set("()<>\"'`[]{}|^\\")
KNOWN = {name for name in vars(defaults) if name.startswith("FINEWS_")}
# FINEWS_SITE_URL goes into a Markdown link of every post (crawler/archive/render.py): http(s)://host or
# //host, an optional port and path, of characters that can neither end the link nor open markup.
# And Jekyll's `url` and `baseurl` (scrapy archive init): a host without a final dot, a port from 1
# to 65535, a path of non-empty segments none of which is `.` or `..` (a final slash is let be), no
# control character percent-encoded either, at most SITE_URL_MOST characters.
_SITE_URL_RE = re.compile(
    r"(?:(?i:https?):)?//(?!-)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/(?:[A-Za-z0-9._~!$&*+,;=:@-]|%[0-9A-Fa-f]{2})*)*)"
)
_ENCODED_CONTROL_RE = re.compile(r"%(?:[01][0-9A-Fa-f]|7[Ff])")
_DOT_SEGMENT_RE = re.compile(r"(?:\.|%2[Ee]){1,2}")  # fullmatch: `.`, `..`, and their encoded forms
SITE_URL_MOST = 200
_SWITCHES = ("FINEWS_FRONT_MATTER_STOCKS", "FINEWS_RETRY_DROPS")  # what Scrapy's getbool takes


def check_settings(settings: "BaseSettings") -> None:
    """Raise ValueError, naming the setting and what it accepts, for the first FINEWS_* setting that is wrong."""
    unknown = sorted(name for name in settings if name.startswith("FINEWS_") and name not in KNOWN)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]}: the FINEWS_* settings are {', '.join(sorted(KNOWN))}")
    for name, (kind, low, high, meaning) in _NUMBERS.items():
        _check_number(name, settings.get(name), kind, low, high, meaning)
    for name, (allowed, required) in _TEMPLATES.items():
        _check_template(name, settings.get(name), allowed, required)
    _check_site_url(settings.get("FINEWS_SITE_URL"))
    history, runs = int(settings.get("FINEWS_COVERAGE_HISTORY")), int(settings.get("FINEWS_COVERAGE_MIN_RUNS"))
    if history and runs > history:
        raise ValueError(
            f"setting FINEWS_COVERAGE_MIN_RUNS ({runs}) must be at most FINEWS_COVERAGE_HISTORY ({history}), "
            "the runs kept: else no field ever has a usual level"
        )
    for name in _SWITCHES:
        if settings.get(name) not in (True, False, 0, 1, "0", "1", "True", "False", "true", "false"):
            raise ValueError(f"setting {name} must be True or False (1 or 0), not {settings.get(name)!r}")
    if not str(settings.get("FINEWS_ARCHIVE_DIR") or "").strip():
        raise ValueError("setting FINEWS_ARCHIVE_DIR must be the archive's folder, not empty")
    old = str(settings.get("FINEWS_OLD_POSTS_DIR") or "")
    if not old.strip() or old.startswith("/") or any(part in ("", ".", "..") for part in old.split("/")):
        raise ValueError(
            f"setting FINEWS_OLD_POSTS_DIR must be a folder inside the archive, e.g. old_post, not {old!r}"
        )
    if settings.get("FINEWS_REDIS_URL"):
        _check_redis(str(settings.get("FINEWS_REDIS_URL")))
    warc = str(settings.get("FINEWS_WARC_DIR") or "")
    if warc.strip() and Path(warc).resolve().is_relative_to(Path(str(settings.get("FINEWS_ARCHIVE_DIR"))).resolve()):
        raise ValueError(
            f"setting FINEWS_WARC_DIR must be a folder outside the archive (publish would commit the pages, "
            f"the site would serve them), not {warc!r}"
        )
    feed = settings.get("FINEWS_FEED")
    if feed and feed not in {f.name for f in FEEDS}:
        raise ValueError(f"setting FINEWS_FEED must be one of {', '.join(f.name for f in FEEDS)}, not {feed!r}")


def _check_site_url(value) -> None:
    """Empty (root-relative links), or http://, https:// or // with a host, a port, a path (a trailing
    slash is let be: the posts' links are made without it)."""
    if value != "" and not _site_url_sound(value):
        raise ValueError(
            "setting FINEWS_SITE_URL must be empty (root-relative links) or http(s)://host[:port][/path] or "
            f"//host[:port][/path] of at most {SITE_URL_MOST} characters: an ASCII host name (xn-- for others) "
            "without a final dot, a port from 1 to 65535, a path without empty, . or .. segments, no user, "
            "query or fragment, no space or control character (%00-%1f and %7f neither), none of "
            f"()<>\"'`[]{{}}|^\\ (it is in every post's links), not {value!r}"
        )


def _site_url_sound(value) -> bool:
    match = _SITE_URL_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None or len(value) > SITE_URL_MOST or _ENCODED_CONTROL_RE.search(value):
        return False
    if match["port"] is not None and not 1 <= int(match["port"]) <= 65535:
        return False
    path = match["path"].removesuffix("/")  # one final slash is let be; two make an empty segment
    return not any(segment == "" or _DOT_SEGMENT_RE.fullmatch(segment) for segment in path.split("/")[1:])


def _check_redis(url: str) -> None:
    """The URL is a Redis URL redis-py takes (whether Redis answers, and whether the distributed
    extra is installed, is asked when the run starts: exit status 8)."""
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"setting FINEWS_REDIS_URL must be a redis://, rediss:// or unix:// URL, not {shown_url(url)!r}"
        )
    with suppress(SharedIndexLost):  # no distributed extra: said when the run starts
        redis_client(url)  # ValueError: a URL redis-py cannot take (a bad port, a bad option)


def _check_number(name: str, value, kind: type, low, high, meaning: str) -> None:
    bounds = f"from {low} to {high}" if high is not None else f"of {low} or more"
    what = f"setting {name} must be {'a whole number' if kind is int else 'a number'} {bounds} ({meaning})"
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}, not {value!r}") from None
    if number < low or (high is not None and number > high) or number != number:  # NaN
        raise ValueError(f"{what}, not {value!r}")


def _check_template(name: str, value, allowed: set[str], required: set[str]) -> None:
    """An http(s) URL for str.format: every placeholder a bare {name} it may use (no conversion, no
    format spec, no index or attribute: `{info_code:>999999999}` would build a gigabyte, `{page:d}` fail
    on every request), the ones it must use there; a template that goes into the posts (_IN_POSTS) has
    no space, control character or any of ()<>"'`[]{}|^\\ outside its placeholders either."""
    what = f"setting {name} must be an http(s) URL"
    if required:
        what += f" with {', '.join('{' + p + '}' for p in sorted(required))}"
    if allowed - required:
        what += f" (may use {', '.join('{' + p + '}' for p in sorted(allowed - required))})"
    text = str(value or "")
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        raise ValueError(f"{what}; its braces do not pair: {value!r}") from None
    if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).netloc:
        raise ValueError(f"{what}, not {value!r}")
    fields = [(field, spec, conversion) for _, field, spec, conversion in parsed if field is not None]
    if any(spec or conversion is not None or not field.isidentifier() for field, spec, conversion in fields):
        raise ValueError(
            f"{what}; a placeholder is a bare {{name}}: no conversion (!r), format (:d), index ([0]) or "
            f"attribute (.x), in {value!r}"
        )
    used = {field for field, _, _ in fields}
    if used - allowed:
        raise ValueError(f"{what}; unknown placeholder {{{sorted(used - allowed)[0]}}} in {value!r}")
    if required - used:
        raise ValueError(f"{what}; {{{sorted(required - used)[0]}}} is missing in {value!r}")
    literal = "".join(literal for literal, _, _, _ in parsed)  # `{{` is a `{` in the URL made
    if name in _IN_POSTS and any(c in _LINK_BREAKING or unicodedata.category(c)[0] in "CZ" for c in literal):
        raise ValueError(
            f"{what}; it is in every post's links: no space or control character, and none of "
            f"()<>\"'`[]{{}}|^\\ but the braces of a placeholder, in {value!r}"
        )
