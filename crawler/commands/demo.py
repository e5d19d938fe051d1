"""`scrapy demo`: both feeds crawled from the bundled East Money mirror into ARCHIVE_DIR, and its site built.

The mirror (fixtures/site/) is served on 127.0.0.1 by fixtures/testing.py; `eastmoney` and
`eastmoney_724` crawl it side by side in one process (each feed has its own lock) into
ARCHIVE_DIR (default demo-archive); then the `scrapy archive build` step (crawler/tools/build.py)
makes ARCHIVE_DIR/_site from the checkout's site/ template, with a search index when Pagefind is
installed. Links work on a local server: the posts' back links are root-relative (FINEWS_SITE_URL
empty) and their share links (FINEWS_SHARE_URL, which must be an absolute URL) go to the local
site, http://127.0.0.1:PORT/?infoCode=..., PORT the one --serve uses (8000 unless --port): never
to the production hosts. `--serve` then serves the site on 127.0.0.1 until Ctrl-C or SIGTERM.

The mirror and its server are test tools of the checkout, not part of the installed package: the
command runs in a finews-crawler checkout (the folder of its scrapy.cfg, with fixtures/ and site/)
and says in one line when it is not in one. Scrapy logs errors only (-L or -s LOG_LEVEL for more):
the demo prints its own short summary. A failure is one line on stderr and an exit status of
crawler/exitstatus.py (the first crawl that failed gives it), and no line of success.
"""

import importlib.util
import shutil
import signal
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import get_settings_priority
from scrapy.spiderloader import get_spider_loader

from crawler import statkeys as keys
from crawler.archive import FEEDS, layout
from crawler.commands import checked_settings, checkout, fail, refuse, refuse_unknown_options, say_errors_in_one_line
from crawler.exitstatus import ExitStatus
from crawler.extensions.summary import RunSummary, exit_status
from crawler.tools import VerbFailed
from crawler.tools.build import ToolMissing, build, pagefind_command

TESTING_MODULE = Path("fixtures") / "testing.py"  # in the checkout, beside scrapy.cfg
TEMPLATE = "site"  # the checkout's Jekyll template, beside scrapy.cfg
DEFAULT_ARCHIVE = "demo-archive"
DEFAULT_PORT = 8000  # --serve's, and python -m http.server's


def load_testing_module(here: Path | None) -> ModuleType | None:
    """fixtures/testing.py of the checkout `here`; None when there is none."""
    path = here / TESTING_MODULE if here else None
    if path is None or not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("finews_fixtures_testing", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class QuietHandler(SimpleHTTPRequestHandler):
    """The built site's files, without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self):
        return "[options] [ARCHIVE_DIR]"

    def short_desc(self):
        return f"Crawl the bundled East Money mirror into ARCHIVE_DIR (default {DEFAULT_ARCHIVE}) and build its site"

    def long_desc(self):
        return (
            f"{self.short_desc()}: both feeds (eastmoney, eastmoney_724) from fixtures/site/ served on "
            "127.0.0.1, then the site into ARCHIVE_DIR/_site with links that work on a local server. "
            "Run it again and nothing new is written; the site is built anew. --serve then serves it."
        )

    def add_options(self, parser):
        # Scrapy's log shows errors only: above the project's INFO, below -L / -s LOG_LEVEL (and -h says so).
        self.settings.set("LOG_LEVEL", "ERROR", priority="spider")
        super().add_options(parser)
        say_errors_in_one_line(parser, "demo")
        parser.add_argument("--serve", action="store_true", help="then serve the site on 127.0.0.1 until Ctrl-C")
        parser.add_argument(
            "--port", type=int, metavar="PORT", help=f"the port --serve uses (default {DEFAULT_PORT}; 0: a free one)"
        )

    def process_options(self, args, opts):
        super().process_options(args, opts)
        refuse_unknown_options(args, "demo")
        if len(args) > 1:
            raise UsageError(f"at most one ARCHIVE_DIR, not {len(args)}")
        if opts.port is not None and not opts.serve:
            raise UsageError("--port goes with --serve")
        if opts.port is not None and not 0 <= opts.port <= 65535:
            raise UsageError(f"--port must be from 0 to 65535, not {opts.port}")
        here = self.checkout = checkout()
        self.testing = load_testing_module(here)
        if self.testing is None:
            refuse(
                self,
                ExitStatus.USAGE,
                f"run it in a finews-crawler checkout (it needs {TESTING_MODULE} beside scrapy.cfg)",
            )
        self.template = Path(self.settings.get("FINEWS_SITE_TEMPLATE") or here / TEMPLATE).resolve()
        if not (self.template / "_config.yml").is_file():
            refuse(self, ExitStatus.USAGE, f"no site template at {self.template}: run it in a finews-crawler checkout")
        # The user's -s; the demo's own settings below are right, and its links are its own: no archive's
        # settings record (.finews.cfg) is read, the demo's site and share links win over any.
        checked_settings(self.settings, record=False)
        self.archive = Path(args[0] if args else DEFAULT_ARCHIVE)
        self.root = root = self.make_archive_folder()
        self.site_server = self.bind_site_server(root, opts.port) if opts.serve else None
        site_port = self.site_server.server_address[1] if self.site_server else DEFAULT_PORT
        self.mirror, self.mirror_url = self.testing.serve()
        demo_settings = {
            **self.testing.mirror_settings(self.mirror_url),
            "FINEWS_ARCHIVE_DIR": str(root),
            "FINEWS_SITE_URL": "",  # root-relative back links: /category/<slug>.html, /emnews/, /
            "FINEWS_SHARE_URL": f"http://127.0.0.1:{site_port}/?infoCode={{info_code}}",  # the local site
        }
        for name, value in demo_settings.items():
            self.settings.set(name, value, priority="cmdline")
        # Above the project's settings, below -s: two crawls' progress lines would fight for the terminal.
        self.settings.set("FINEWS_PROGRESS_INTERVAL", 0, priority="spider")
        if self.settings.getpriority("LOG_LEVEL") < get_settings_priority("cmdline"):  # no -L, no -s LOG_LEVEL
            # RunSummary would sum up a run that went well at the log's level, ERROR: the demo prints its own.
            self.settings.set_in_component_priority_dict("EXTENSIONS", RunSummary, None)

    def make_archive_folder(self) -> Path:
        """ARCHIVE_DIR, made if new, as an absolute path; one line and the exit status when it cannot be
        (jekyll is looked for first: nothing is made when the site could not be built)."""
        root = self.archive.resolve()
        if root.is_relative_to(self.template) or self.template.is_relative_to(root):
            raise UsageError(f"ARCHIVE_DIR must be a folder of its own, outside the site template {self.template}")
        if root.exists() and not root.is_dir():
            refuse(self, ExitStatus.NOT_WRITABLE, f"{self.archive} is a file, not a folder: give the demo a folder")
        if shutil.which("jekyll") is None:
            refuse(
                self, ExitStatus.USAGE, "jekyll is not installed (Debian: apt-get install jekyll): it builds the site"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            refuse(self, ExitStatus.NOT_WRITABLE, f"cannot make the folder {self.archive}: {exc.strerror}")
        return root

    def bind_site_server(self, root: Path, port: int | None) -> ThreadingHTTPServer:
        """The server of root/_site on 127.0.0.1, bound before the crawl: a port in use is said at once,
        and the share links name the port."""
        port = DEFAULT_PORT if port is None else port
        try:
            return ThreadingHTTPServer(
                ("127.0.0.1", port), partial(QuietHandler, directory=str(root / layout.SITE_DIR))
            )
        except OSError as exc:
            refuse(self, ExitStatus.USAGE, f"cannot serve on 127.0.0.1:{port}: {exc.strerror}; choose another --port")

    def run(self, args, opts):
        print(f"Crawling the East Money mirror at {self.mirror_url} into {self.archive}", flush=True)
        try:
            written = self.crawl()
        finally:
            self.mirror.shutdown()
        if written is None:
            return
        for feed in FEEDS:
            print(f"  {feed.name} ({feed.label}): {written[feed.name]} new posts")
        search = True
        try:
            pagefind_command()
        except ToolMissing:
            search = False
            print("Search: off (Pagefind is not installed: pip install -e '.[site]')")
        site = self.archive / layout.SITE_DIR
        print(f"Building the site into {site}", flush=True)
        try:
            old_posts_dir = self.settings["FINEWS_OLD_POSTS_DIR"]
            built = build(
                self.root, self.root / layout.SITE_DIR, old_posts_dir, self.template, search, checkout=self.checkout
            )
        except VerbFailed as exc:
            return fail(self, exc.status, str(exc))
        except OSError as exc:
            return fail(self, ExitStatus.NOT_WRITABLE, f"cannot build the site into {site}: {exc}")
        print(f"Site: {site} ({built.posts} posts{', with search' if search else ''})")
        if self.site_server is None:
            again = "scrapy demo --serve" if args == [] else f"scrapy demo {self.archive} --serve"
            print(f"Open it with: {again}  (or: python3 -m http.server -d {site} {DEFAULT_PORT})", flush=True)
        else:
            self.serve(site)

    def crawl(self) -> dict[str, int] | None:
        """Both feeds' crawls, side by side: the new posts of each, or None (said why, exit status set)."""
        loader = get_spider_loader(self.settings)
        crawlers = {feed.name: self.crawler_process.create_crawler(loader.load(feed.name)) for feed in FEEDS}
        for crawler in crawlers.values():
            self.crawler_process.crawl(crawler)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            return fail(self, ExitStatus.FAILED, "Scrapy could not start a crawl (its error is above)")
        for name, crawler in crawlers.items():
            stats = crawler.stats.get_stats()
            ratio = crawler.settings.getfloat("FINEWS_MAX_ARTICLE_FAILURE_RATIO")
            status = exit_status(stats, stats.get("finish_reason"), ratio)
            if status != ExitStatus.OK:
                return fail(self, status, f"the {name} crawl failed: {status.meaning} (exit status {int(status)})")
        return {name: crawler.stats.get_value(keys.POSTS_WRITTEN, 0) for name, crawler in crawlers.items()}

    def serve(self, site: Path) -> None:
        """Serve the built site on 127.0.0.1 until Ctrl-C or SIGTERM (exit status 0)."""
        host, port = self.site_server.server_address[:2]
        print(f"Serving {site} at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Scrapy's handlers were for the crawl
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.site_server.serve_forever()
        except KeyboardInterrupt:
            print()
        finally:
            self.site_server.server_close()
