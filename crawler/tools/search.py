"""The site's search index: every post's title and text, as overlapping character pairs, in Pagefind bundles.

Pagefind's own Chinese word segmentation misses words (电动车 in 「瑞银：继续偏好电动车供应链…」), so
the index holds words of its own (tokens()): after NFKC and ASCII lowercasing, a text is a sequence
of units, each CJK character (Han of every block, kana, hangul) and each run of ASCII letters and
digits; any other character (space, punctuation) breaks it. Each pair of adjacent units is one
word, and each ASCII run is one more on its own (`ST`, `5G`). A query of two or more units is the
words of its pairs, so every post holding the query holds all of them: nothing is missed.
site/assets/search.js tokenizes the same way (tests/test_search_index.py runs both on the same
strings), sorts the posts that hold the exact query first and shows them.

A word is ASCII letters and digits only (Pagefind neither segments nor splits it), indexed in a
language Pagefind has no stemmer for (INDEX_LANGUAGE), and no pair's word begins another pair's
(Pagefind takes the last word of a query as a prefix): `p` + the code of each unit, a character
as 4 hex digits (`w` + 5 beyond U+FFFF), an ASCII run as `x` + its length in base 36 + the run
(at most 35 characters of it). A run alone is `u` + the run: the query `ST` also finds `STAR`.
A single character as a query is the prefix `p` + its code: the pairs it begins.

The index is split into bundles (plan()), each at most LIMIT posts, named by the time they span:
a year ("2024"); a year of more posts its quarters ("2024-q2"), then months ("2024-05"), then runs
of whole days of a month, each named by its first day ("2024-05-d13"), and pieces of LIMIT posts of
a day of more in URL order ("2024-05-d13-2"). The plan depends on the posts alone, so an update and a full build make the
same bundles. index() writes each bundle with one Pagefind run (WORKERS at a time: the peak memory is
two bundles') into `<out>/pagefind/<bundle>/`, from search-source pages in a temporary folder (the
public post pages carry no tokens), and keeps in `<out>/pagefind/state.json` the posts of each
bundle: an update indexes again only the bundles whose posts are others than last time or hold a
post the build wrote again, and removes the bundles no longer planned. `<out>/pagefind/bundles.json` lists the
bundles the search page merges.
"""

import functools
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from crawler.tools.programs import BuildFailed, pagefind_command

LIMIT = 2000  # posts a bundle holds at most: ~3 s and ~0.6 GB of one Pagefind run (docs/archive-commands.md)
INDEX_LANGUAGE = "zz"  # a language Pagefind knows no stemmer for: it changes no token
FOLDER = "pagefind"  # <out>/pagefind/: the bundles, bundles.json, state.json
BUNDLES_FILE = "bundles.json"
STATE_FILE = "state.json"
STATE_VERSION = 4
# A security a post page links (site/_plugins/finews_lists.rb SECID), as the filter `stock` holds it: its secid.
_SECID_RE = re.compile(r"(?:[01]\.[0-9]{6}|116\.[0-9]{5}|10[567]\.[A-Z][A-Z0-9]{0,7}(?:[._][A-Z0-9]{1,4})?)")
EMPTY = ""  # in a bundle's posts in the state file: no post page of it holds an article (so no bundle)
WORKERS = 2  # bundles indexed at once: a bundle's Python (pages, words) runs beside another's Pagefind
PAGEFIND_TIMEOUT = 1800  # seconds one Pagefind run may take before it is stopped
CJK = (
    "\u3005\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003ffff"
)
UNIT_RE = re.compile(f"[{CJK}]|[0-9a-z]+")
RUN_RE = re.compile(f"[{CJK}0-9a-z]+")  # adjacent units
UPPER_RE = re.compile("[A-Z]+")
BUNDLE_RE = re.compile(r"\d{4}(?:-q[1-4]|-\d\d(?:-d\d\d(?:-\d+)?)?)?")
MAX_RUN = 35  # characters of an ASCII run a pair's word holds (its length is one base-36 digit)
UNUSED = ("pagefind-ui", "pagefind-component-ui", "pagefind-modular-ui", "pagefind-highlight")  # Pagefind's UIs


def normalized(text: str) -> str:
    """NFKC, ASCII letters lowercased (only those: a length-preserving lowercasing JavaScript does alike)."""
    return UPPER_RE.sub(lambda m: m[0].lower(), unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=65536)
def _code(unit: str) -> str:
    """A unit's part of a pair's word: prefix-free, so no pair's word begins another's."""
    if unit[0] <= "z":  # an ASCII run
        return "x" + "0123456789abcdefghijklmnopqrstuvwxyz"[min(len(unit), MAX_RUN)] + unit[:MAX_RUN]
    point = ord(unit)
    return f"{point:04x}" if point <= 0xFFFF else f"w{point:05x}"


def runs(text: str) -> list[list[str]]:
    """The runs of adjacent units of a text (normalized): each a list of CJK characters and ASCII runs."""
    return [UNIT_RE.findall(run) for run in RUN_RE.findall(normalized(text))]


def tokens(text: str) -> list[str]:
    """The index's own words for a text, in text order: per unit, its ASCII run alone (`u` + run),
    then its pair with the unit before it (`p` + both codes)."""
    words = []
    for run in runs(text):
        codes = [_code(unit) for unit in run]
        for number, unit in enumerate(run):
            if unit[0] <= "z":
                words.append("u" + unit)
            if number:
                words.append("p" + codes[number - 1] + codes[number])
    return words


@dataclass(frozen=True, order=True)
class SearchPost:
    """A post of the built site: its URL path, its file (relative to the site folder), its date (Beijing time)."""

    url: str  # "/2024/05/03/NW202405031234.html"
    file: str  # "2024/05/03/NW202405031234.html"
    date: str  # "2024-05-03"


@dataclass
class IndexReport:
    """What index() did: bundles planned and indexed again, posts indexed, seconds, bytes of the whole
    index, and the largest resident memory of one Pagefind run (bytes; 0 when none ran)."""

    bundles: int
    reindexed: int
    posts: int
    seconds: float
    bytes: int
    peak_memory: int = 0


LEVELS = (  # a bundle's name at each level, from a post's date; a level too big splits into the next
    lambda date: date[:4],
    lambda date: f"{date[:4]}-q{(int(date[5:7]) + 2) // 3}",
    lambda date: date[:7],
)


def plan(posts: Iterable[SearchPost], limit: int = LIMIT) -> dict[str, list[SearchPost]]:
    """The bundles of the posts (see the module's text), by name in order, each's posts in URL order."""
    bundles: dict[str, list[SearchPost]] = {}
    pending = [(0, sorted(set(posts), key=lambda post: post.url))]
    while pending:  # each step takes a group one level down; there are three levels, then days
        level, group = pending.pop()
        by_name: dict[str, list[SearchPost]] = {}
        for post in group:
            if not re.fullmatch(r"\d{4}-\d\d-\d\d", post.date):
                raise ValueError(f"{post.url}: no date YYYY-MM-DD: {post.date!r}")
            by_name.setdefault(LEVELS[level](post.date), []).append(post)
        for name, members in by_name.items():
            if len(members) <= limit:
                bundles[name] = members
            elif level + 1 < len(LEVELS):
                pending.append((level + 1, members))
            else:
                bundles.update(_days(name, members, limit))
    return dict(sorted(bundles.items()))


def _days(month: str, members: list[SearchPost], limit: int) -> dict[str, list[SearchPost]]:
    """A month of more than `limit` posts: runs of whole days of at most `limit` posts, each named by
    its first day ("2024-05-d13"); a day of more than `limit`, pieces of it in URL order ("2024-05-d13-2").
    New posts of the month's last days change only its last run."""
    days: dict[str, list[SearchPost]] = {}
    for post in members:
        days.setdefault(post.date[8:10], []).append(post)
    found: dict[str, list[SearchPost]] = {}
    run: list[SearchPost] = []
    first = ""
    for day, posts in sorted(days.items()):
        if len(posts) > limit:
            for start in range(0, len(posts), limit):
                found[f"{month}-d{day}-{start // limit + 1}"] = posts[start : start + limit]
            continue
        if run and len(run) + len(posts) > limit:
            found[f"{month}-d{first}"], run = sorted(run, key=lambda post: post.url), []
        first = first if run else day
        run += posts
    if run:
        found[f"{month}-d{first}"] = sorted(run, key=lambda post: post.url)
    return found


BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "pre",
    "section",
    "figure",
    "figcaption",
    "hr",
    "dt",
    "dd",
    "article",
}


def extract(page: bytes) -> tuple[str, str, list[str]] | None:
    """The title, text and stocks of a built post page: its `article[data-pagefind-body]`
    (site/_layouts/post.html) without what it marks `data-pagefind-ignore`, the title its h1.post-title;
    blocks on lines of their own (a reader sees no word across them); the secids of the securities the
    layout links beside the body (`p.post-stocks > a.stock[data-secid]`, well formed, each once). None
    when the page holds no such article."""
    document = lxml.html.fromstring(page.decode("utf-8", "replace"))  # Jekyll writes UTF-8
    articles = document.xpath("//article[@data-pagefind-body]")
    if not articles:
        return None
    article = articles[0]
    own = "./p[@class='post-stocks']/a[@class='stock']/@data-secid"  # the layout's, beside the body: never the body's
    stocks = list(dict.fromkeys(secid for secid in article.xpath(own) if _SECID_RE.fullmatch(secid)))
    for ignored in article.xpath(".//*[@data-pagefind-ignore]"):
        ignored.drop_tree()
    for element in article.xpath(".//script|.//style|.//template"):
        element.drop_tree()
    headings = article.xpath(".//h1[contains(concat(' ', normalize-space(@class), ' '), ' post-title ')]")
    title = " ".join(headings[0].text_content().split()) if headings else ""
    for heading in headings[:1]:
        heading.drop_tree()
    for element in article.iter():
        if isinstance(element.tag, str) and element.tag.lower() in BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in article.text_content().splitlines())
    return title, "\n".join(line for line in lines if line), stocks


def source_page(title: str, text: str, stocks: Iterable[str] = ()) -> str:
    """The search-source page of a post: title and text as Pagefind metadata (what results show and
    search.js checks), each stock's secid as a value of the filter `stock` (search.js narrows to it),
    the tokens as the indexed body (the title's in a heading: Pagefind ranks it higher)."""
    filters = "".join(f'<span data-pagefind-filter="stock">{html.escape(code)}</span>\n' for code in stocks)
    return (
        f'<!DOCTYPE html><html lang="{INDEX_LANGUAGE}"><head><meta charset="utf-8"><title></title></head><body>\n'
        f'<p data-pagefind-meta="title">{html.escape(title)}</p>\n'
        f'<div data-pagefind-meta="text">{html.escape(text)}</div>\n{filters}'
        f"<article data-pagefind-body><h1>{' '.join(tokens(title))}</h1>\n<p>{' '.join(tokens(text))}</p></article>"
        "\n</body></html>\n"
    )


def index(out: Path, posts: list[SearchPost], changed: Collection[str] | None, limit: int = LIMIT) -> IndexReport:
    """Index the posts of the built site `out` into `<out>/pagefind/` (see the module's text): every
    bundle when `changed` is None (a full build), else only those whose posts are not those of the
    state file, or hold a post whose file is in `changed` (the files the build wrote: an update knows
    them; no post file is read to find out). A bundle is written into a new folder, then swapped in: a
    failed or killed run leaves the old bundle live. BuildFailed with Pagefind's
    line when it fails."""
    started = time.monotonic()
    full = changed is None
    changed = set(changed or ())
    root = Path(out) / FOLDER
    for path in (root, root / BUNDLES_FILE, root / STATE_FILE):  # no build made these: a file or folder in the way goes
        in_the_way = path.is_dir() and not path.is_symlink() if path != root else path.is_symlink() or path.is_file()
        if in_the_way:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(".new-*"):  # of a run that was killed
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in root.glob(".old-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    state = {} if full else _read_state(root)
    planned = plan(posts, limit)
    reindexed = indexed = peak = 0
    todo = {}
    for name, members in planned.items():
        entries = {post.url: post.file for post in members}
        touched = any(post.file in changed for post in members)
        recorded = dict(state[name]) if isinstance(state.get(name), dict) else {}
        empty = recorded.pop(EMPTY, False) is True  # no post page of it held an article: it has no bundle
        if full or touched or recorded != entries or not (empty or (root / name / "pagefind.js").is_file()):
            todo[name] = entries
    failed = None
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:  # one bundle's Python beside another's Pagefind
        running = {pool.submit(_index_bundle, Path(out), root, name, planned[name]): name for name in todo}
        for done in as_completed(running):
            name = running[done]
            try:
                written, memory = done.result()
            except BuildFailed as error:  # the others finish (each is swapped in whole, or not at all)
                failed = failed or error
                continue
            indexed, peak = indexed + written, max(peak, memory)
            reindexed += 1
            state[name] = todo[name] if written else {**todo[name], EMPTY: True}
            _write_json(root / STATE_FILE, {"version": STATE_VERSION, "bundles": state})
    if failed is not None:
        raise failed
    live = [name for name in planned if (root / name / "pagefind.js").is_file()]  # a bundle of no article has none
    _write_json(root / BUNDLES_FILE, {"language": INDEX_LANGUAGE, "bundles": [f"{name}/" for name in live]})
    for path in root.iterdir():  # bundles no longer planned, and whatever else is not the index's
        if path.name not in planned and path.name not in (BUNDLES_FILE, STATE_FILE):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    state = {name: state[name] for name in planned if name in state}
    _write_json(root / STATE_FILE, {"version": STATE_VERSION, "bundles": state})
    size = sum(path.stat().st_size for name in planned for path in (root / name).rglob("*") if path.is_file())
    return IndexReport(len(planned), reindexed, indexed, time.monotonic() - started, size, peak)


def _index_bundle(out: Path, root: Path, name: str, members: list[SearchPost]) -> tuple[int, int]:
    """One bundle: its search-source pages in a temporary folder, Pagefind into `.new-<name>`, swapped in
    for `<name>`. Returns the posts indexed (a post whose file is missing or holds no article is named on
    stderr and left out) and the peak memory of the Pagefind run (bytes)."""
    new, old, live = root / f".new-{name}", root / f".old-{name}", root / name
    written = 0
    with tempfile.TemporaryDirectory(prefix=f"finews-search-{name}-") as temp:
        source = Path(temp) / "site"
        for post in members:
            try:
                found = extract((out / post.file).read_bytes())
            except (OSError, ValueError) as error:  # lxml: ValueError on an empty document
                found, why = None, str(error)
            else:
                why = "no article[data-pagefind-body]"
            if found is None:
                print(f"search: left out {post.url}: {why}", file=sys.stderr)
                continue
            page = source / post.url.lstrip("/")
            if not page.resolve().is_relative_to(source.resolve()) or page.suffix != ".html":
                print(f"search: left out {post.url}: no path of the site", file=sys.stderr)
                continue
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(source_page(*found), encoding="utf-8")
            written += 1
        if not written:  # nothing to search (no post page holds an article): no bundle
            shutil.rmtree(live, ignore_errors=True)
            return 0, 0
        command = [*pagefind_command(), "--site", str(source), "--output-path", str(new), "--quiet"]
        output, status, memory = _run_measured(command, Path(temp))
        if status != 0:
            shutil.rmtree(new, ignore_errors=True)
            lines = [line.strip() for line in output.splitlines() if line.strip()]
            line = next((line for line in lines if "error" in line.lower()), lines[-1] if lines else "no output")
            raise BuildFailed(f"pagefind failed on the search bundle {name}: {line}", line=line)
    for path in new.iterdir():
        if path.name.startswith(UNUSED):
            path.unlink()
    incomplete = _incomplete(new, written)
    if incomplete:  # Pagefind says nothing when a full disk cuts its files short
        shutil.rmtree(new, ignore_errors=True)
        raise BuildFailed(f"pagefind failed on the search bundle {name}: {incomplete} (a full disk?)")
    if live.exists():
        live.rename(old)
    new.rename(live)
    shutil.rmtree(old, ignore_errors=True)
    return written, memory


def _incomplete(bundle: Path, posts: int) -> str | None:
    """What is wrong with a bundle Pagefind wrote, if anything: an empty file, an entry file that is
    no JSON or counts other than `posts` pages."""
    empty = next((path for path in sorted(bundle.rglob("*")) if path.is_file() and not path.stat().st_size), None)
    if empty is not None:
        return f"its file {empty.relative_to(bundle)} is empty"
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        counted = entry["languages"][INDEX_LANGUAGE]["page_count"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"its pagefind-entry.json cannot be read ({error})"
    return None if counted == posts else f"it holds {counted} pages of {posts}"


def _run_measured(command: list[str], cwd: Path) -> tuple[str, int, int]:
    """Run a program (stopped after PAGEFIND_TIMEOUT): its output, exit status and peak resident memory (bytes)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timer = threading.Timer(PAGEFIND_TIMEOUT, lambda: process.send_signal(signal.SIGKILL))
    timer.start()
    try:
        output = process.stdout.read() if process.stdout else b""
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return output.decode("utf-8", "replace"), process.returncode, usage.ru_maxrss * 1024


def _read_state(root: Path) -> dict[str, dict]:
    """The bundles of the state file (each: URL -> file); {} when missing or unreadable."""
    try:
        state = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(state, dict)
        or state.get("version") != STATE_VERSION
        or not isinstance(state.get("bundles"), dict)
    ):
        return {}
    return state["bundles"]


def _write_json(path: Path, value: dict) -> None:
    """Write JSON atomically (a temporary file renamed over the old)."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(temp, path)


def posts_of_site(out: Path) -> list[SearchPost]:
    """The posts of a built site: every HTML page with an `article[data-pagefind-body]`, its date from
    the article's <time datetime> (Beijing time, as the layout writes it), else from its URL."""
    found = []
    out = Path(out)
    for path in sorted(out.rglob("*.html")):
        relative = path.relative_to(out).as_posix()
        if relative.startswith(FOLDER + "/"):
            continue
        data = path.read_bytes()
        if not re.search(rb"<article[^>]*data-pagefind-body", data):
            continue
        stamp = re.search(rb'<time datetime="(\d{4}-\d\d-\d\d)', data)
        from_url = re.match(r"(\d{4})/(\d\d)/(\d\d)/", relative)
        date = stamp[1].decode() if stamp else "-".join(from_url.groups()) if from_url else ""
        found.append(SearchPost("/" + relative, relative, date))
    return found
