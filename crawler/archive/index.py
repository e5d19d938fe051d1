"""Which posts the archive holds: post keys from file names, and the post files themselves.

A post is a file `YYYY-MM-DD-<key>.md` in an index folder (`_posts/`, the old-posts folder)
or any subfolder of one; its key is the file name after the date (an infoCode for per-media
posts, the bare id for emnews posts). Listings and string slices, not a regex per name: a
million posts load in under a second (bench/index.py).
"""

import os
from pathlib import Path


def is_post_name(name: str) -> bool:
    """`YYYY-MM-DD-<key>.md` with a non-empty key (the date itself is not checked here)."""
    return name[10:11] == "-" and name.endswith(".md") and len(name) > 14


def post_key(name: str) -> str:
    """The key of the post file `name` (is_post_name must hold)."""
    return name[11:-3]


def _is_subfolder(folder: Path, name: str) -> bool:
    return not name.endswith(".md") and (folder / name).is_dir()


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


def scan_keys(folder: Path, known: set[str]) -> None:
    """Add the key of every post below `folder` to `known`."""
    names = _names(folder)
    known.update(post_key(name) for name in names if is_post_name(name))
    for name in names:
        if _is_subfolder(folder, name):
            scan_keys(folder / name, known)


def post_files(folder: Path) -> list[Path]:
    """Every post file below `folder` (those scan_keys reads keys from), in name order."""
    files = []
    for name in sorted(_names(folder)):
        if is_post_name(name):
            files.append(folder / name)
        elif _is_subfolder(folder, name):
            files += post_files(folder / name)
    return files
