"""Project commands for the `scrapy` tool (COMMANDS_MODULE), and what they share.

Every command says a usage error in one line, `scrapy <command>: <what is wrong>`, with exit
status 2 (crawler/exitstatus.py) and no traceback; `scrapy <command> -h` shows the options.
"""

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.utils.conf import closest_scrapy_cfg

from crawler.archive import Archive, layout
from crawler.config import check_settings
from crawler.exitstatus import ExitStatus


def say_errors_in_one_line(parser: argparse.ArgumentParser, command: str) -> None:
    """Make `parser` (and Scrapy's UsageError, which it reports through parser.error) say an error in one line."""

    def error(message: str) -> NoReturn:
        print(f"scrapy {command}: {message}", file=sys.stderr)
        sys.exit(ExitStatus.USAGE)

    parser.error = error


def fail(command: ScrapyCommand, status: ExitStatus, message: str) -> None:
    """The command could not do its work: one line on stderr saying why, and its exit status."""
    print(f"scrapy {command_name(command)}: {message}", file=sys.stderr)
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


def checked_settings(settings: BaseSettings) -> None:
    """UsageError naming the first FINEWS_* setting that is wrong (crawler/config.py)."""
    try:
        check_settings(settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def existing_archive(settings: BaseSettings) -> Path:
    """The root of the archive FINEWS_ARCHIVE_DIR names; UsageError when there is none (no posts folder):
    a command that works on an archive never makes one where a typo points."""
    root = Archive.from_settings(settings).root
    if not (root / layout.POSTS_DIR).is_dir():
        raise UsageError(f"no archive at {root} (no {layout.POSTS_DIR} folder); set -s FINEWS_ARCHIVE_DIR=...")
    return root
