"""Project commands for the `scrapy` tool (COMMANDS_MODULE), and what they share.

Every command says a usage error in one line, `scrapy <command>: <what is wrong>`, with exit
status 2 (crawler/exitstatus.py) and no traceback; `scrapy <command> -h` shows the options.
"""

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from scrapy.utils.conf import closest_scrapy_cfg

from crawler.exitstatus import ExitStatus


def say_errors_in_one_line(parser: argparse.ArgumentParser, command: str) -> None:
    """Make `parser` (and Scrapy's UsageError, which it reports through parser.error) say an error in one line."""

    def error(message: str) -> NoReturn:
        print(f"scrapy {command}: {message}", file=sys.stderr)
        sys.exit(ExitStatus.USAGE)

    parser.error = error


def fail(command: str, message: str) -> None:
    """Say why a command could not do its work, in one line on stderr (the caller sets the exit status)."""
    print(f"scrapy {command}: {message}", file=sys.stderr)


def checkout() -> Path | None:
    """The finews-crawler checkout the command runs in (the folder of the nearest scrapy.cfg), if any."""
    config = closest_scrapy_cfg()
    return Path(config).parent if config else None
