"""The programs a site build runs, Jekyll and Pagefind: how they fail (BuildFailed, ToolMissing) and how
to run Pagefind (crawler/tools/build.py, search.py)."""

import sys

from crawler.exitstatus import ExitStatus
from crawler.tools.verb import VerbFailed


class BuildFailed(VerbFailed):
    """Jekyll or Pagefind failed: their own error line (exit status 1)."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.FAILED, line: str = ""):
        super().__init__(status, message)
        self.line = line  # the tool's own line, as it said it


class ToolMissing(BuildFailed):
    """Jekyll or Pagefind is not installed (exit status 2)."""

    def __init__(self, message: str):
        super().__init__(message, ExitStatus.USAGE)


def pagefind_command() -> list[str]:
    """How to run Pagefind: the `pagefind` Python package (extra `site`); BuildFailed when it is missing."""
    import importlib.util

    if importlib.util.find_spec("pagefind") is None:
        raise ToolMissing(
            "pagefind is not installed, so no search index: pip install 'finews-crawler[site]' (or build with --no-search)"
        )
    return [sys.executable, "-m", "pagefind"]
