"""The one way this project writes a file (a temp file beside it, fsync, rename), and the one way it reads one.

A reader (Jekyll, git, a person, a crashed run's successor) sees the old file or the new
one, never half of one; a failed write leaves no temp file behind.
"""

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    """The permissions a written file gets: those of the regular file it replaces (never a link's 0777), else open()'s."""
    with suppress(OSError):
        if stat.S_ISREG(mode := os.stat(path, follow_symlinks=False).st_mode):
            return mode & 0o7777
    umask = os.umask(0o022)  # read it (no call only reads it)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, text: str, temp_prefix: str) -> None:
    """Write `text` to `path` atomically (see atomic_writer)."""
    with atomic_writer(path, temp_prefix) as handle:
        handle.write(text)


def file_text(path: Path, most: int | None = None) -> str:
    """The text of a post or another file of the archive: its bytes as UTF-8, line ends as they are
    (a CR-only file is what Jekyll sees). Never blocks, never follows a symbolic link: OSError naming
    the file when it cannot be read, is no regular file (a FIFO) or holds more than `most` bytes (then
    no more than that is read); UnicodeDecodeError when not UTF-8."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = handle.read() if most is None else handle.read(most + 1)
        if most is not None and len(data) > most:
            raise OSError(f"{path} is larger than {most} bytes")
        return data.decode("utf-8")
