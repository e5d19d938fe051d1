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

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from crawler.archive import layout
from crawler.archive.files import file_text

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
DOCUMENT_SUFFIXES = {".html", ".htm", ".xhtml", ".xht", ".shtml", ".svg", ".svgz", ".xml"}
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
    """A static document's text as a browser may read it: UTF-16 or UTF-8 by its byte order mark, else
    UTF-8 with what is not read as U+FFFD (markup is ASCII in every encoding a browser may guess)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


SASS_SUFFIXES = {".scss", ".sass"}
_SASS_LOAD_RE = re.compile(r"@(?:import|use|forward)\b([^;\n]*)")
_QUOTED_RE = re.compile(r"([\"'])(.*?)\1")


def sass_reaching_out(text: str) -> str | None:
    """The first file a Sass stylesheet loads from outside the site (`@import "/etc/x"`, `~`, `..`, a
    scheme): Sass reads any file it is told to, so such a sheet would publish it. None when none."""
    for statement in _SASS_LOAD_RE.finditer(text):
        for _, target in _QUOTED_RE.findall(statement.group(1)):
            scheme = ":" in target and not target.startswith("sass:")  # sass:math is a module of Sass's own
            if target.startswith(("/", "~", "\\")) or scheme or ".." in re.split(r"[/\\]", target):
                return target
    return None


_DATA_AS_TABLES = {".csv", ".tsv"}  # Jekyll reads every other data file with its YAML loader (JSON too)


def why_not_staged(path: Path, root: Path) -> str | None:
    """Why a build leaves the file at `path` (of the site folder `root`) out although Jekyll would read
    it: a Sass sheet that loads a file from outside the site, or a data file (`_data/`) its YAML reader
    cannot read, which would stop the build without naming it. None: it is staged."""
    if path.suffix in SASS_SUFFIXES:
        outside = sass_reaching_out(document_text(path.read_bytes()))
        return f"it loads {outside!r}, outside the site (Sass would publish it)" if outside is not None else None
    if path.relative_to(root).parts[0] == DATA_DIR and path.suffix.lower() not in _DATA_AS_TABLES:
        try:
            yaml.safe_load(file_text(path.resolve()))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
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
        loaded = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError, RecursionError) as exc:
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
