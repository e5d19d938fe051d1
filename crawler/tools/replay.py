"""`scrapy archive replay WARC...`: posts re-derived from WARC files with today's parsers, no network.

The WARC files are those of FINEWS_WARC_DIR (crawler/extensions/warc.py). Each file's warcinfo names
the spider whose crawl wrote it; replay runs that spider in replay mode (FINEWS_REPLAY_WARC,
crawler/spiders/base.py `replay`) over its files, through the archive's own pipelines: so into an
empty archive it writes what those crawls wrote, and into an existing one what is missing. With
--rewrite, a post the archive holds is written again where today's parse of its page differs from it,
and each such post is named in the log (`rewrote <path>: <what changed>`). A parser fix reaches old
posts this way without asking East Money again.

The crawls themselves are the command's to run (this package imports no Scrapy): it hands the verb a
`crawl` function on its options. Files that are not WARC files finews-crawler wrote are refused before
anything is read (exit status 2); the crawls' own exit statuses follow (the first that is not 0).
"""

from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path

from crawler.archive import Archive
from crawler.exitstatus import ExitStatus
from crawler.tools.verb import Option, Verb, VerbFailed
from crawler.warcfile import NotAWarc, spider_of


class Replay(Verb):
    name = "replay"
    summary = "posts re-derived from WARC files (FINEWS_WARC_DIR) with today's parsers, no network: replay WARC..."
    options = (
        Option(
            ("--rewrite",),
            "also write again each post whose parse changed (each one is named); without it, only missing posts",
            {"action": "store_true"},
        ),
    )
    takes_files = True
    makes_archive = True  # replay into an empty folder writes the archive those crawls wrote

    def posts_lock(self, opts: Namespace) -> str | None:
        return "exclusive" if opts.rewrite else None  # rewriting posts: never while a build reads them

    def check(self, opts: Namespace) -> None:
        """Every file a WARC file a finews crawl wrote (else exit 2, before anything is read or written):
        opts.runs, the files of each spider, each file once, oldest first (the capture names files by
        spider and run start, UTC)."""
        by_spider: dict[str, list[str]] = {}
        for path in sorted({Path(name).resolve() for name in opts.files}, key=lambda p: (p.name, str(p))):
            try:
                by_spider.setdefault(spider_of(path), []).append(str(path))
            except NotAWarc as exc:
                raise VerbFailed(ExitStatus.USAGE, str(exc)) from None
        opts.runs = sorted(by_spider.items())

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        statuses = opts.crawl(
            [
                (spider, {"FINEWS_REPLAY_WARC": files, "FINEWS_REPLAY_REWRITE": bool(opts.rewrite)})
                for spider, files in opts.runs
            ]
        )
        for (spider, files), status in zip(opts.runs, statuses, strict=True):
            print(f"replayed {len(files)} WARC file{'s' if len(files) != 1 else ''} of {spider}: exit status {status}")
        return next((ExitStatus(status) for status in statuses if status), ExitStatus.OK)
