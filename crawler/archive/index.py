"""Which posts the archive holds: post keys from file names, and the post files themselves.

A post is a regular file named as crawler/archive/layout.py says, in an index folder (`_posts/`, the old-posts
folder) or any real subfolder of one (symlinks, FIFOs and devices are not posts and are not
followed); its key is the file name after the date (an infoCode for per-media
posts, the bare id for emnews posts). A listing and one compiled pattern mapped over it: a
million posts load in under a second (bench/index.py).
"""

import os
import stat
from pathlib import Path

from crawler.archive.layout import post_key, post_keys


def _entries(folder: Path) -> tuple[list[str], list[str]]:
    """The names of the regular files and of the real subfolders of `folder` (no symlink is
    followed: no loop, nothing outside; no FIFO or device, which would hang a reader). Nothing when
    it does not exist; OSError naming it when it cannot be read (its posts are not "none")."""
    files, folders = [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    files.append(entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
    except (FileNotFoundError, NotADirectoryError):
        pass
    return files, folders


def scan_keys(folder: Path, known: set[str]) -> None:
    """Add the key of every post below `folder` to `known`.

    The hot path of a run's start: a listing and one pattern (a million names in under a
    second); only names that are no post are asked whether they are a real folder (lstat: a
    symlink is not followed, so no loop). Anything named like a post counts as known here, as
    nothing is opened; post_files(), whose files are read, takes regular files only. A folder that
    cannot be read adds nothing here (a crawl starts; the commands that read posts refuse it).
    """
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    known.update(post_keys(names))
    for name in names:
        if not name.endswith(".md") and _is_real_folder(folder / name):
            scan_keys(folder / name, known)


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def post_files(folder: Path) -> list[Path]:
    """Every post file below `folder` (those scan_keys reads), in name order; OSError naming a folder it cannot read."""
    files, folders = _entries(folder)
    posts = {name: folder / name for name in files if post_key(name) is not None}
    subfolders = {name: None for name in folders if not name.endswith(".md")}
    found = []
    for name in sorted({**posts, **subfolders}):
        found += [posts[name]] if name in posts else post_files(folder / name)
    return found
