"""What of an archive its web site is made of, as `archive build` stages it and `archive doctor` checks it.

A build stages the archive's own files but those in NOT_STAGED (and the old-posts folder, and this
project's `.finews*` files). Of what it stages, Jekyll reads:
- pages: a file that begins with a front matter line (`---`, as Jekyll tests its first bytes: a file
  with a byte order mark is no page), outside a folder named with `_` or `.`: rendered, the reader's;
- the theme: the layouts and includes (THEME_DIRS), which wrap every page: the archive owner's code;
- static files: every other file, copied byte for byte. Those a browser opens as a document
  (DOCUMENT_SUFFIXES: HTML, SVG, XML) run what they hold on the site's origin.
A symbolic link is judged where it leads (a build publishes a link inside the archive as its target,
and nothing outside it), so site_files() lists real files only.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

from crawler.archive import layout

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
JEKYLL_EXCLUDES = ("node_modules", "vendor")  # folders Jekyll leaves out by default (its `exclude`)
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
    """Whether Jekyll reads what is in `folder`: not a `_` or `.` folder (but the theme's), not excluded."""
    parts = folder.relative_to(root).parts
    if parts[0] in THEME_DIRS:
        return True
    return not any(part.startswith(("_", ".")) or part in JEKYLL_EXCLUDES for part in parts)


def is_theme(path: Path, root: Path) -> bool:
    return path.relative_to(root).parts[0] in THEME_DIRS


def is_page(path: Path, root: Path) -> bool:
    """Whether Jekyll renders the file at `path` as a page: it begins with a front matter line (OSError
    when it cannot be read)."""
    if is_theme(path, root):
        return False
    with path.open("rb") as file:
        return bool(_FRONT_MATTER_START.match(file.readline(4096)))


def is_document(path: Path) -> bool:
    """Whether a browser opens the static file at `path` as a document that may run script."""
    return path.suffix.lower() in DOCUMENT_SUFFIXES
