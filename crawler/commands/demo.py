"""`scrapy demo`: crawl the bundled East Money mirror on loopback into a fresh archive folder.

The mirror and its server are test tools of the checkout (fixtures/testing.py), not part of
the installed package: the command runs in a finews-crawler checkout (the folder of its
scrapy.cfg), whether the package was installed from it editable or not.
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from scrapy.exceptions import UsageError
from scrapy.utils.conf import closest_scrapy_cfg

from crawler.archive import layout
from crawler.commands.crawl import Command as CrawlCommand
from crawler.exitstatus import ExitStatus

TESTING_MODULE = Path("fixtures") / "testing.py"  # in the checkout, beside scrapy.cfg


def load_testing_module() -> ModuleType | None:
    """fixtures/testing.py of the checkout this command runs in; None when there is none."""
    config = closest_scrapy_cfg()
    path = Path(config).parent / TESTING_MODULE if config else None
    if path is None or not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("finews_fixtures_testing", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Command(CrawlCommand):
    def syntax(self):
        return "[options] [ARCHIVE_DIR]"

    def short_desc(self):
        return "Serve fixtures/site on 127.0.0.1 and crawl it with `eastmoney` into ARCHIVE_DIR (default demo-archive)"

    def process_options(self, args, opts):
        if len(args) > 1:
            raise UsageError("at most one ARCHIVE_DIR")
        super().process_options(["eastmoney"], opts)
        # Quiet by default (the run summary is logged at this level); above the project's INFO, below -L/-s.
        self.settings.set("LOG_LEVEL", "WARNING", priority="spider")
        self.testing = load_testing_module()
        if self.testing is None:
            return  # run() says what is missing
        self.archive = Path(args[0] if args else "demo-archive").resolve()
        self.server, base_url = self.testing.serve()
        for name, value in {**self.testing.mirror_settings(base_url), "FINEWS_ARCHIVE_DIR": str(self.archive)}.items():
            self.settings.set(name, value, priority="cmdline")
        print(f"East Money mirror at {base_url}; archive at {self.archive}")

    def run(self, args, opts):
        if self.testing is None:
            print(
                f"scrapy demo: run it in a finews-crawler checkout (it needs {TESTING_MODULE} beside scrapy.cfg)",
                file=sys.stderr,
            )
            self.exitcode = ExitStatus.USAGE
            return
        try:
            super().run(["eastmoney"], opts)
        finally:
            self.server.shutdown()
        if self.crawler is not None:
            print(f"Posts are in {self.archive / layout.POSTS_DIR}; run it again and nothing new is written.")
