"""`scrapy archive VERB`: the offline verbs (crawler/tools), each with its own options, on FINEWS_ARCHIVE_DIR.

This command only dispatches: it offers every verb's options (`scrapy archive -h` lists them by
verb), refuses an option of another verb, gives a verb that takes the archive's folder as its
argument (`init DIR`) that folder as FINEWS_ARCHIVE_DIR, takes every feed's lock for a verb that
needs them (exit status 3 when a crawl holds one), and turns what a verb raises into its exit status
and one line on stderr (crawler/exitstatus.py).
"""

import argparse
import contextlib
import os
import sys
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import UsageError
from scrapy.settings import get_settings_priority
from scrapy.spiderloader import get_spider_loader

from crawler import statkeys as keys
from crawler.archive import Archive, ArchiveLocked, every_feed_locked
from crawler.archive.lock import posts_held
from crawler.commands import (
    checked_settings,
    checkout,
    existing_archive,
    fail,
    refuse_unknown_options,
    say_errors_in_one_line,
)
from crawler.config import check_settings
from crawler.exitstatus import ExitStatus
from crawler.tools import VERBS, Verb, VerbFailed
from crawler.tools.verb import Option, output_file


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self):
        folder = [name for name, verb in VERBS.items() if verb.takes_folder]
        return f"{{{','.join(VERBS)}}} [options]" + "".join(f" | {name} DIR [options]" for name in folder)

    def short_desc(self):
        return "The archive's offline verbs: " + ", ".join(VERBS)

    def long_desc(self):
        return f"Work on the archive FINEWS_ARCHIVE_DIR with one verb: {', '.join(VERBS)}. Each verb and its options follow."

    def add_options(self, parser):
        super().add_options(parser)
        say_errors_in_one_line(parser, "archive")
        self.actions = {}  # verb name -> its options with their argparse actions
        offered: dict[tuple[str, ...], list[tuple[str, Option]]] = {}  # flags -> the verbs that offer them
        for name, verb in VERBS.items():
            for option in verb.options:
                offered.setdefault(option.flags, []).append((name, option))
        added = {}  # flags -> the one argparse action of an option several verbs offer
        for name, verb in VERBS.items():
            shared = [option.flags[-1] for option in verb.options if option.flags in added]  # under an earlier verb
            also = f"; also {', '.join(shared)} (listed above)" if shared else ""
            group = parser.add_argument_group(
                f"{name} options", description=f"scrapy archive {name}: {verb.summary}{also}"
            )
            self.actions[name] = []
            for option in verb.options:
                if option.flags not in added:
                    added[option.flags] = self.add_option(group, offered[option.flags])
                self.actions[name].append((option, added[option.flags]))

    @staticmethod
    def add_option(group: Any, offers: list[tuple[str, Option]]) -> argparse.Action:
        """One option of the parser; offered by several verbs, its help says what it is to each."""
        (_, first), *others = offers
        if not others:
            return group.add_argument(*first.flags, help=first.help, **first.settings)
        settings = dict(first.settings)
        metavars = dict.fromkeys(o.settings.get("metavar") for _, o in offers if o.settings.get("metavar"))
        if metavars:
            settings["metavar"] = "|".join(metavars)
        return group.add_argument(*first.flags, help="; ".join(f"({n}) {o.help}" for n, o in offers), **settings)

    def process_options(self, args, opts):
        super().process_options(args, opts)
        refuse_unknown_options(args, "archive")
        verbs = ", ".join(VERBS)
        if not args or args[0] not in VERBS:
            said = f" (not {args[0]!r})" if args else ""
            raise UsageError(f"say which verb{said}: one of {verbs}")
        verb = VERBS[args[0]]
        if verb.takes_folder:
            self.take_folder(verb, args[1:])
        elif verb.takes_files:
            if len(args) < 2:
                raise UsageError(f"{verb.name} takes the files it reads: scrapy archive {verb.name} FILE...")
            opts.files, opts.crawl = args[1:], self.crawl
        elif len(args) > 1:
            raise UsageError(f"{verb.name} takes no argument {args[1]!r}: see scrapy archive -h for its options")
        mine = [action for _, action in self.actions[verb.name]]
        for actions in self.actions.values():
            for _, action in actions:
                if action not in mine and getattr(opts, action.dest) != action.default:
                    owners = [name for name, its in self.actions.items() if any(a is action for _, a in its)]
                    options = "/".join(action.option_strings)
                    raise UsageError(f"{options} belongs to {' and '.join(owners)}, not {verb.name}")
        try:
            verb.check(opts)
        except VerbFailed as exc:
            raise UsageError(str(exc)) from None
        self.check_option_settings(verb, opts)
        checked_settings(self.settings)
        if not verb.makes_archive:
            existing_archive(self.settings)
        here = opts.checkout = checkout()  # what a verb must never touch (archive build's --out)
        if not self.settings.get("FINEWS_SITE_TEMPLATE") and here and (here / "site" / "_config.yml").is_file():
            self.settings.set("FINEWS_SITE_TEMPLATE", str(here / "site"), priority="project")  # the bundled template

    def take_folder(self, verb: Verb, args: list[str]) -> None:
        """The verb's one argument, the archive's folder, made FINEWS_ARCHIVE_DIR of this run; UsageError
        without one, with more, or beside a -s FINEWS_ARCHIVE_DIR that names another folder."""
        if len(args) != 1 or not args[0].strip():
            said = f", not {len(args)} arguments" if len(args) > 1 else ""
            raise UsageError(
                f"{verb.name} takes one argument, the archive's folder: scrapy archive {verb.name} DIR{said}"
            )
        given = self.settings.get("FINEWS_ARCHIVE_DIR")
        on_command_line = self.settings.getpriority("FINEWS_ARCHIVE_DIR") >= get_settings_priority("cmdline")
        if on_command_line and os.path.abspath(str(given)) != os.path.abspath(args[0]):
            raise UsageError(f"{verb.name} {args[0]} and -s FINEWS_ARCHIVE_DIR={given} name two folders: give one")
        self.settings.set("FINEWS_ARCHIVE_DIR", args[0], priority="cmdline")

    def check_option_settings(self, verb: Verb, opts: argparse.Namespace) -> None:
        """An option that stands for a FINEWS_* setting checked as that setting (crawler/config.py)."""
        for option, action in self.actions[verb.name]:
            value = getattr(opts, action.dest)
            if option.setting is None or value is None:
                continue
            trial = self.settings.copy()
            trial.set(option.setting, value, priority="cmdline")
            try:
                check_settings(trial)
            except ValueError as exc:
                if option.setting in str(exc):
                    raise UsageError(f"{option.flags[-1]}: {exc}") from None

    def run(self, args, opts):
        stdout = sys.stdout
        if not VERBS[args[0]].prints_its_product:
            sys.stdout = ReportStream(stdout)  # a reader that went away never stops the work
        try:
            self.run_verb(VERBS[args[0]], opts)
        finally:
            sys.stdout = stdout

    def run_verb(self, verb: Verb, opts: argparse.Namespace) -> None:
        writes = verb.needs_locks(opts)
        try:
            for option, action in self.actions[verb.name]:  # before any work: what it writes is not the archive's
                value = getattr(opts, action.dest)
                if option.writes_file and value is not None and value != "-":
                    output_file(Archive.from_settings(self.settings), value, option.flags[0])
            root, posts = Archive.from_settings(self.settings).root, verb.posts_lock(opts)
            # (a verb that makes the archive, on a folder not there yet, has no posts to hold)
            held = (
                posts_held(root, exclusive=posts == "exclusive")
                if posts and root.exists()
                else contextlib.nullcontext()
            )
            with held:
                if writes:
                    with every_feed_locked(self.settings) as archive:
                        status = verb.run(archive, self.settings, opts)
                else:
                    status = verb.run(Archive.from_settings(self.settings), self.settings, opts)
        except ArchiveLocked as exc:
            return fail(self, ExitStatus.LOCKED, f"{exc}; {verb.when_locked}, run it again when the crawl has ended")
        except VerbFailed as exc:
            return fail(self, exc.status, str(exc))
        except OSError as exc:
            writable = writes or verb.makes_archive
            return fail(
                self, ExitStatus.NOT_WRITABLE, f"the archive is not {'writable' if writable else 'readable'}: {exc}"
            )
        except KeyboardInterrupt:  # every lock is let go; each change was one atomic step
            return fail(self, ExitStatus.STOPPED_EARLY, f"{verb.name} interrupted: what it did so far stays done")
        self.exitcode = int(status)

    def crawl(self, runs: list[tuple[str, dict]]) -> list[int]:
        """Run crawls of these spiders side by side, each with its settings added to the command's (the
        work of a verb that is a crawl: replay); their exit statuses, in order (crawler/exitstatus.py).
        A replay asks nothing of the network nor of the shared Redis, and captures no WARC of its own."""
        loader, classes = get_spider_loader(self.settings), []
        for spider, _ in runs:  # all of them known before any starts
            try:
                classes.append(loader.load(spider))
            except KeyError:
                raise VerbFailed(ExitStatus.USAGE, f"no spider {spider!r} in this project") from None
            if not callable(getattr(classes[-1], "replay", None)):
                raise VerbFailed(ExitStatus.USAGE, f"spider {spider!r} writes no archive: it cannot replay")
        process, crawlers = CrawlerProcess(self.settings), []
        for spidercls, (_, extra) in zip(classes, runs, strict=True):
            settings = self.settings.copy()
            settings.setdict({**extra, "FINEWS_REDIS_URL": None, "FINEWS_WARC_DIR": None}, priority="cmdline")
            crawler = Crawler(spidercls, settings, init_reactor=not crawlers)  # the first installs the reactor
            crawlers.append(crawler)
            process.crawl(crawler)
        process.start()
        if process.bootstrap_failed:
            return [int(ExitStatus.FAILED)] * len(crawlers)
        return [crawler.stats.get_value(keys.EXIT_STATUS, int(ExitStatus.STOPPED_EARLY)) for crawler in crawlers]


class ReportStream:
    """A verb's stdout when what it prints is a report of its work: a closed or full stdout, or a reader
    that stopped (`| head`), is noted once and the work goes on (the exit status still says how it went)."""

    def __init__(self, stream):
        self.stream, self.lost = stream, stream is None

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                return self.stream.write(text)
            except (OSError, ValueError):
                self.lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self.lose()

    def lose(self) -> None:
        """Stop writing; Python's own flush at exit then finds nothing to complain of."""
        self.lost = True
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
