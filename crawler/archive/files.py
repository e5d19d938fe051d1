"""The one way this project writes a file: a temp file beside it, fsync, rename.

A reader (Jekyll, git, a person, a crashed run's successor) sees the old file or the new
one, never half of one; a failed write leaves no temp file behind.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

TEMP_SUFFIX = ".tmp"


@contextmanager
def atomic_writer(path: Path, temp_prefix: str) -> Iterator[TextIO]:
    """A text handle (UTF-8, "\\n" line ends) whose content replaces `path` when the block ends without error.

    The temp file is `<temp_prefix>XXXXXXXX.tmp` beside `path`: each writer names its own, so
    it can tell its leftovers from another's.
    """
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=temp_prefix, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp makes 0600: a web server reading as another user could not
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permissions a written file gets: those of the file it replaces, else what open() would give."""
    try:
        return os.stat(path, follow_symlinks=False).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)  # read it (no call only reads it)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, text: str, temp_prefix: str) -> None:
    """Write `text` to `path` atomically (see atomic_writer)."""
    with atomic_writer(path, temp_prefix) as handle:
        handle.write(text)
