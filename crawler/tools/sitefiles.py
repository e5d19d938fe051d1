"""What of an archive its web site is made of, as `archive build` stages it and `archive doctor` checks it.

A build stages the archive's own files but those in NOT_STAGED (and the old-posts folder, and this
project's `.finews*` files). Of what it stages, Jekyll reads:
- pages: a file that begins with a front matter line (`---`, as Jekyll tests its first bytes: a file
  with a byte order mark is no page), outside a folder named with `_` or `.`: rendered, the reader's;
- the theme: the layouts and includes (THEME_DIRS), which wrap every page: the archive owner's code;
- static files: every other file, copied byte for byte. Those a browser opens as a document
  (DOCUMENT_SUFFIXES: HTML, SVG, XML) run what they hold on the site's origin.
The archive's `_config.yml` (archive_config): of its keys, the site honours what it says and where it
lives (HONOURED_CONFIG); every other key (plugins, theme, include, collections, markdown, kramdown,
liquid, defaults, encoding, ...) changes what is read, how it is parsed or what code runs: the
template's stand.
A symbolic link is judged where it leads (a build publishes a link inside the archive as its target,
and nothing outside it), so site_files() lists real files only.
"""

import codecs
import csv
import io
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from crawler.archive import layout
from crawler.archive.files import file_text
from crawler.archive.frontmatter import read_yaml

NOT_STAGED = {
    layout.SITE_DIR,
    layout.POSTS_DIR,
    layout.QUARANTINE_DIR,
    "_plugins",  # Ruby code: only the template's plugins run, never a file of the archive
    "Gemfile",  # Ruby code too (Bundler evaluates it), naming gems the machine may not have
    "Gemfile.lock",
    "gems.rb",
    "gems.locked",
    ".git",
    ".jekyll-cache",
    ".jekyll-metadata",
    ".sass-cache",
}  # and the old posts, and the archive's own files
THEME_DIRS = ("_layouts", "_includes")
DATA_DIR, SASS_DIR = "_data", "_sass"  # read by Jekyll too: data for the layouts, Sass partials
# What Jekyll leaves out by default (Configuration::DEFAULTS `exclude`), paths from the site's top.
JEKYLL_EXCLUDES = {"node_modules", "gemfiles", "vendor/bundle", "vendor/cache", "vendor/gems", "vendor/ruby"}
DOCUMENT_SUFFIXES = {".html", ".htm", ".xhtml", ".xhtm", ".xht", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt"}
_DECLARED_RE = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9._:-]{2,40})""", re.I)
_FRONT_MATTER_START = re.compile(rb"---\s*\n")  # Jekyll's has_yaml_header (`\A---\s*\r?\n`) on the first line's bytes


def site_files(root: Path, old_posts_dir: str) -> Iterator[Path]:
    """Every regular file of the archive at `root` a build stages but its posts: pages, the theme, static
    files, in a stable order (links are not followed: their targets are listed where they are)."""
    hidden = {root / name for name in NOT_STAGED} | {root / old_posts_dir}
    for folder, names, files in os.walk(root):
        here = Path(folder)
        names[:] = sorted(
            name
            for name in names
            if here / name not in hidden and not layout.is_own_file(name) and _published_folder(here / name, root)
        )
        for name in sorted(files):
            path = here / name
            if path not in hidden and not layout.is_own_file(name) and not path.is_symlink() and path.is_file():
                yield path


def _published_folder(folder: Path, root: Path) -> bool:
    """Whether Jekyll reads what is in `folder`: not in a `_` or `.` folder (but the theme's), nor in
    one Jekyll leaves out by default."""
    parts = folder.relative_to(root).parts
    if parts[0] in (*THEME_DIRS, DATA_DIR, SASS_DIR):
        return True
    excluded = any("/".join(parts[:length]) in JEKYLL_EXCLUDES for length in (1, 2))
    return not excluded and not any(part.startswith(("_", ".")) for part in parts)


def is_read_by_jekyll(path: Path, root: Path) -> bool:
    """Whether Jekyll reads the file or folder at `path` (inside `root`) where it is: its folder is one
    _published_folder() accepts. A link there publishes what it leads to, so a link's target must be."""
    folder = path if path.is_dir() else path.parent
    return folder == root or _published_folder(folder, root)


def is_theme(path: Path, root: Path) -> bool:
    return path.relative_to(root).parts[0] in THEME_DIRS


def is_page(path: Path, root: Path) -> bool:
    """Whether Jekyll renders the file at `path` as a page: it begins with a front matter line (OSError
    when it cannot be read)."""
    if path.relative_to(root).parts[0].startswith("_"):
        return False  # the theme, data, Sass partials
    with path.open("rb") as file:
        return bool(_FRONT_MATTER_START.match(file.readline()))  # the whole first line, as Jekyll reads it


def is_document(path: Path, root: Path) -> bool:
    """Whether the file at `path` is published as it is (no page, in no `_` folder) and a browser opens
    it as a document that may run script."""
    return path.suffix.lower() in DOCUMENT_SUFFIXES and not path.relative_to(root).parts[0].startswith("_")


def document_text(data: bytes) -> str:
    """A file's text as a browser may read it: UTF-16 or UTF-8 by its byte order mark, else UTF-8 with
    what is not read as U+FFFD (markup is ASCII in every encoding a browser may guess)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def document_readings(data: bytes) -> list[str]:
    """Every text a browser may read a static document's bytes as: document_text(), and, when the bytes
    say another encoding (UTF-16 without a byte order mark, a declared `charset=` or XML `encoding=`
    such as ISO-2022-JP, whose escapes hide markup from a UTF-8 reading), that one too."""
    readings = [document_text(data)]
    head = data[:1024]
    encodings = [m.decode("ascii") for m in _DECLARED_RE.findall(head.replace(b"\x00", b""))]
    if head.startswith(b"<\x00") or head.startswith(b"\x00<"):
        encodings.append("utf-16-le" if head.startswith(b"<\x00") else "utf-16-be")
    for encoding in encodings:
        try:
            readings.append(data.decode(codecs.lookup(encoding).name, "replace"))
        except LookupError:  # no codec of that name here: the UTF-8 reading stands
            continue
    return list(dict.fromkeys(readings))


SASS_SUFFIXES = {".scss", ".sass"}
_SASS_LOAD_RE = re.compile(r"@(?:import|use|forward)\b([^;\n]*)")
_QUOTED_RE = re.compile(r"([\"'])(.*?)\1")


def sass_reaching_out(text: str) -> str | None:
    """The first file a Sass stylesheet loads from outside the site (`@import "/etc/x"`, `~`, `..`, a
    scheme): Sass reads any file it is told to, so such a sheet would publish it. None when none."""
    for statement in _SASS_LOAD_RE.finditer(text):
        quoted = [target for _, target in _QUOTED_RE.findall(statement.group(1))]
        bare = [part.strip() for part in statement.group(1).split(",") if not part.strip().startswith("url(")]
        for target in quoted or bare:  # the indented syntax (.sass) writes them bare
            scheme = ":" in target and not target.startswith("sass:")  # sass:math is a module of Sass's own
            if target.startswith(("/", "~", "\\")) or scheme or ".." in re.split(r"[/\\]", target):
                return target
    return None


_DATA_AS_TABLES = {".csv", ".tsv"}  # Jekyll reads every other data file with its YAML loader (JSON too)


POSTS_FOLDERS = {layout.POSTS_DIR, "_drafts"}  # Jekyll reads posts from such a folder at any depth
_STAGED_PATH_MAX = 3800  # bytes of a staged path: Jekyll's own temporary and output paths stay under 4,096


def why_not_a_site_name(path: Path, root: Path, staged: Path) -> str | None:
    """Why the file or folder at `path` (of the site folder `root`), to be staged at `staged`, is left
    out by its name: one that is no UTF-8 (Jekyll stops at it), a posts folder below the top (only
    `_posts/` and the old-posts folder are the archive's posts), a folder among the layouts named
    like a layout (Jekyll reads it as one), a path too long to write. None: its name is fine."""
    relative = path.relative_to(root)
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is no UTF-8 (Jekyll stops at it)"
    if len(relative.parts) > 1 and path.name in POSTS_FOLDERS and path.is_dir():
        return "a posts folder below the top: only _posts/ and the old-posts folder are published"
    if relative.parts[0] == "_layouts" and "." in path.name and path.is_dir():
        return "a folder named like a layout (Jekyll reads it as one)"
    if path.is_symlink() and path.suffix.lower() in DOCUMENT_SUFFIXES:
        target = path.resolve()
        if (
            target.exists() and target.suffix.lower() not in DOCUMENT_SUFFIXES
        ):  # doctor reads the target as what it is named
            return f"a link that would publish {target.name} as a document a browser runs"
    if len(os.fsencode(staged / path.name)) > _STAGED_PATH_MAX:
        return f"its path is longer than {_STAGED_PATH_MAX} bytes staged"
    return None


def why_not_staged(path: Path, root: Path) -> str | None:
    """Why a build leaves the file at `path` (of the site folder `root`) out although Jekyll would read
    it: a Sass sheet that loads a file from outside the site, or a data file (`_data/`) its YAML reader
    cannot read, which would stop the build without naming it. None: it is staged."""
    if path.suffix in SASS_SUFFIXES:
        outside = sass_reaching_out(document_text(path.read_bytes()))
        return f"it loads {outside!r}, outside the site (Sass would publish it)" if outside is not None else None
    if path.relative_to(root).parts[0] == DATA_DIR:
        try:
            text = file_text(path.resolve())
            if path.suffix.lower() in _DATA_AS_TABLES:  # Ruby's CSV: a stray quote is an error
                list(
                    csv.reader(io.StringIO(text), strict=True, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
                )
            else:
                read_yaml(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError, csv.Error) as exc:
            return f"Jekyll cannot read it as data ({' '.join(str(exc).split())[:150]})"
    return None


CONFIG_NAMES = ("_config.yml", "_config.yaml", "_config.toml")  # the one Jekyll reads: the first there
HONOURED_CONFIG = {
    "title": str,
    "description": str,
    "lang": str,
    "timezone": str,
    "baseurl": str,
    "url": str,
    "permalink": str,
    "author": str,
    "email": str,
    "exclude": list,
    "finews": dict,
}
_FINEWS_NUMBERS = {"per_page": 1, "newest": 0}  # the template's own keys, and their least value
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# What Jekyll 4.3 makes of `permalink:` in a config: a style's name, or a pattern of these placeholders
# (Jekyll::Drops::UrlDrop and Document#url_placeholders); another `:name` stops every build.
PERMALINK_STYLES = {"date", "pretty", "ordinal", "weekdate", "none"}
PERMALINK_PLACEHOLDERS = {
    "collection",
    "name",
    "title",
    "slug",
    "categories",
    "slugified_categories",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "i_day",
    "i_month",
    "short_month",
    "long_month",
    "short_year",
    "w_year",
    "week",
    "w_day",
    "short_day",
    "long_day",
    "y_day",
    "path",
    "basename",
    "output_ext",
}


@dataclass
class ArchiveConfig:
    """The archive's own config: the file, the keys the site honours, and what it leaves out and why."""

    path: Path | None = None
    honoured: dict = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # "key: why", one a key
    error: str = ""  # the file cannot be read: nothing of it is honoured


def archive_config(root: Path) -> ArchiveConfig:
    """The config file Jekyll would read in the archive at `root` (the first of CONFIG_NAMES), read
    (YAML or TOML) and split into the keys the site honours (of the right kind) and the rest."""
    path = next((root / name for name in CONFIG_NAMES if os.path.lexists(root / name)), None)
    if path is None:
        return ArchiveConfig()
    try:
        real = path.resolve()
        if not real.is_relative_to(root.resolve()):
            raise OSError(f"a symbolic link out of the archive, to {real}")
        text = file_text(real)
        loaded = tomllib.loads(text) if path.suffix == ".toml" else read_yaml(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        return ArchiveConfig(path, error=" ".join(str(exc).split())[:200])
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        return ArchiveConfig(path, error="not a mapping")
    config = ArchiveConfig(path)
    for key, value in loaded.items():
        kind = HONOURED_CONFIG.get(key)
        if kind is None:
            config.left_out.append(f"{key}: the template's (it changes what is read or run)")
        elif key == "finews" and isinstance(value, dict):
            config.honoured[key] = _finews_numbers(value, config.left_out)
        elif not isinstance(value, kind) or (kind is list and not all(isinstance(item, str) for item in value)):
            config.left_out.append(f"{key}: {'a list of texts' if kind is list else 'a text'} goes there")
        elif any(_CONTROL_RE.search(text) for text in (value if kind is list else [value])):
            config.left_out.append(f"{key}: a control character (no file name or time zone holds one)")
        elif key == "permalink" and not _permalink_jekyll_makes(value):
            config.left_out.append(f"permalink: {value[:80]!r} is no style nor a pattern of Jekyll's placeholders")
        else:
            config.honoured[key] = value
    return config


def _finews_numbers(value: dict, left_out: list[str]) -> dict:
    kept = {}
    for key, number in value.items():
        least = _FINEWS_NUMBERS.get(key)
        if least is not None and isinstance(number, int) and not isinstance(number, bool) and number >= least:
            kept[key] = number
        else:
            left_out.append(f"finews: {key}: a whole number of {least} or more goes there")
    return kept


def _permalink_jekyll_makes(value: str) -> bool:
    """Whether Jekyll makes a URL of the config's `permalink:` (a style, or a path of known placeholders)."""
    if value in PERMALINK_STYLES:
        return True
    return value.startswith("/") and all(name in PERMALINK_PLACEHOLDERS for name in re.findall(r":([a-z_]+)", value))
