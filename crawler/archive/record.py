"""The archive's settings record: `.finews.cfg` at its top, the FINEWS_* settings that belong to the archive.

What a post links to (FINEWS_SITE_URL, FINEWS_SHARE_URL) is a fact of the site the archive is, not
of the machine or the command line that crawls it: `scrapy archive init` writes it here, and it is
committed with the archive, so every clone (a server's, a GitHub Actions run's) crawls alike. INI
text, one section:

    [settings]
    FINEWS_SITE_URL = https://alice.github.io/news

Every command reads it (crawler/commands, checked_settings) and gives it a priority above the
project's defaults and below the command line (-s wins). Only the names in RECORDED may be there;
anything else (another name or section, a malformed file, one that is a symbolic link or no regular
file, not UTF-8, larger than MOST_BYTES) is a ValueError naming the file: a command refuses to run
rather than crawl with settings nobody meant. A UTF-8 byte order mark at its start is let be.
"""

import configparser
import errno
from pathlib import Path

from crawler.archive import layout
from crawler.archive.files import file_text

SECTION = "settings"
RECORDED = ("FINEWS_SITE_URL", "FINEWS_SHARE_URL")
MOST_BYTES = 64 * 1024


def archive_settings(root: Path) -> dict[str, str]:
    """The settings the record of the archive at `root` holds ({} when it has none); ValueError in one
    line naming the file when it cannot be read or holds anything but RECORDED names in [settings]."""
    path = Path(root) / layout.SETTINGS_FILE
    where = f"the archive's settings file {path}"
    try:
        text = file_text(path, most=MOST_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text") from None
    except OSError as exc:
        why = "is a symbolic link" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror or exc})"
        raise ValueError(f"{where} {why}: it must be a regular file of at most {MOST_BYTES} bytes") from None
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, as some editors write one
    parser = configparser.ConfigParser(interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str  # names as written: FINEWS_SITE_URL, never folded to lower case
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"{where} is not an INI file of one [{SECTION}] section: {reason}") from None
    if parser.defaults() or parser.sections() not in ([], [SECTION]):
        raise ValueError(f"{where} may hold one section, [{SECTION}], and no other")
    values = dict(parser.items(SECTION)) if parser.has_section(SECTION) else {}
    for name, value in values.items():
        if name not in RECORDED:
            raise ValueError(f"{where}: unknown setting {name!r}; it may hold {', '.join(RECORDED)}")
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError(f"{where}: {name} must be one line without control characters")
    return values
