"""Project commands for the `scrapy` tool (COMMANDS_MODULE), and what they share.

Every command says a usage error in one line, `scrapy <command>: <what is wrong>`, with exit
status 2 (crawler/exitstatus.py) and no traceback; `scrapy <command> -h` shows the options.
"""

import argparse
import re
import sys
from pathlib import Path
from typing import NoReturn

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.utils.conf import closest_scrapy_cfg

from crawler.archive import Archive, layout
from crawler.archive.record import archive_settings
from crawler.config import check_settings
from crawler.exitstatus import ExitStatus

# What would break a message's line or rewrite the terminal (a folder named with a newline or an ESC).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(message: str) -> str:
    """`message` on one line: each control character in it (a path's, a value's) shown escaped (\\n, \\x1b)."""
    return _CONTROL_RE.sub(lambda match: ascii(match[0])[1:-1], message)


def say_errors_in_one_line(parser: argparse.ArgumentParser, command: str) -> None:
    """Make `parser` (and Scrapy's UsageError, which it reports through parser.error) say an error in one line."""

    def error(message: str) -> NoReturn:
        print(f"scrapy {command}: {one_line(message)}", file=sys.stderr)
        sys.exit(ExitStatus.USAGE)

    parser.error = error


def fail(command: ScrapyCommand, status: ExitStatus, message: str) -> None:
    """The command could not do its work: one line on stderr saying why, and its exit status."""
    print(f"scrapy {command_name(command)}: {one_line(message)}", file=sys.stderr)
    command.exitcode = int(status)


def refuse(command: ScrapyCommand, status: ExitStatus, message: str) -> NoReturn:
    """As fail(), and stop at once (before the command runs)."""
    fail(command, status, message)
    sys.exit(command.exitcode)


def command_name(command: ScrapyCommand) -> str:
    """The name `scrapy` knows the command by: its module's (Scrapy's own rule)."""
    return type(command).__module__.rsplit(".", 1)[-1]


def checkout() -> Path | None:
    """The finews-crawler checkout the command runs in (the folder of the nearest scrapy.cfg), if any."""
    config = closest_scrapy_cfg()
    return Path(config).parent if config else None


def refuse_unknown_options(args: list[str], command: str) -> None:
    """UsageError for an option Scrapy's parser left over as an argument (it parses with parse_known_args)."""
    unknown = [arg for arg in args if arg.startswith("-") and arg != "-"]
    if unknown:
        raise UsageError(f"unknown option {unknown[0]}: see scrapy {command} -h")


# The priority of the archive's settings record (crawler/archive/record.py) among Scrapy's: above the
# project's settings (20) and add-ons (15), below a spider's custom_settings (30) and the command line (40).
RECORD_PRIORITY = 25


def checked_settings(settings: BaseSettings, record: bool = True) -> None:
    """The settings of the archive's record (FINEWS_ARCHIVE_DIR's .finews.cfg) applied at RECORD_PRIORITY,
    then every FINEWS_* setting checked (crawler/config.py): UsageError naming the first that is wrong,
    or the record when it cannot be read. `record=False`: a command whose archive is another (the demo)."""
    recorded, root = {}, None
    folder = settings.get("FINEWS_ARCHIVE_DIR")
    if record and isinstance(folder, str | Path) and str(folder).strip():
        root = Path(folder).resolve()
        try:
            recorded = archive_settings(root)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    for name, value in recorded.items():
        settings.set(name, value, priority=RECORD_PRIORITY)
    try:
        check_settings(settings)
    except ValueError as exc:
        named = [name for name in recorded if name in str(exc) and settings.getpriority(name) == RECORD_PRIORITY]
        raise UsageError(f"{exc} (from {root / layout.SETTINGS_FILE})" if named else str(exc)) from None


def existing_archive(settings: BaseSettings) -> Path:
    """The root of the archive FINEWS_ARCHIVE_DIR names; UsageError when there is none (no posts folder):
    a command that works on an archive never makes one where a typo points."""
    root = Archive.from_settings(settings).root
    if not (root / layout.POSTS_DIR).is_dir():
        raise UsageError(f"no archive at {root} (no {layout.POSTS_DIR} folder); set -s FINEWS_ARCHIVE_DIR=...")
    return root
