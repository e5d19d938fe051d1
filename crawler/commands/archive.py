"""`scrapy archive VERB`: the offline verbs (crawler/tools), each with its own options, on FINEWS_ARCHIVE_DIR.

This command only dispatches: it offers every verb's options (`scrapy archive -h` lists them by
verb), refuses an option of another verb, takes every feed's lock for a verb that needs them
(exit status 3 when a crawl holds one), and turns what a verb raises into its exit status and one
line on stderr (crawler/exitstatus.py).
"""

import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.archive import Archive, ArchiveLocked, every_feed_locked, layout
from crawler.commands import checkout, fail, say_errors_in_one_line
from crawler.exitstatus import ExitStatus
from crawler.tools import VERBS, VerbFailed


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self):
        return f"{{{','.join(VERBS)}}} [options]"

    def short_desc(self):
        return "The archive's offline verbs: " + ", ".join(VERBS)

    def long_desc(self):
        return f"Work on the archive FINEWS_ARCHIVE_DIR with one verb: {', '.join(VERBS)}. Each verb and its options follow."

    def add_options(self, parser):
        super().add_options(parser)
        say_errors_in_one_line(parser, "archive")
        self.owners = {}  # option dest -> (the verb it belongs to, its argparse action)
        for name, verb in VERBS.items():
            group = parser.add_argument_group(f"{name} options", description=f"scrapy archive {name}: {verb.summary}")
            for option in verb.options:
                action = group.add_argument(*option.flags, help=option.help, **option.settings)
                self.owners[action.dest] = (verb, action)

    def process_options(self, args, opts):
        super().process_options(args, opts)
        verbs = ", ".join(VERBS)
        if not args or args[0] not in VERBS:
            said = f" (not {args[0]!r})" if args else ""
            raise UsageError(f"say which verb{said}: one of {verbs}")
        verb = VERBS[args[0]]
        if len(args) > 1:
            raise UsageError(f"{verb.name} takes no argument {args[1]!r}: see scrapy archive -h for its options")
        for owner, action in self.owners.values():
            if owner is not verb and getattr(opts, action.dest) != action.default:
                raise UsageError(f"{'/'.join(action.option_strings)} belongs to {owner.name}, not {verb.name}")
        try:
            verb.check(opts)
        except VerbFailed as exc:
            raise UsageError(str(exc)) from None
        root = Archive.from_settings(self.settings).root
        if not (root / layout.POSTS_DIR).is_dir():
            raise UsageError(f"no archive at {root} (no {layout.POSTS_DIR} folder); set -s FINEWS_ARCHIVE_DIR=...")
        here = checkout()
        if not self.settings.get("FINEWS_SITE_TEMPLATE") and here and (here / "site" / "_config.yml").is_file():
            self.settings.set("FINEWS_SITE_TEMPLATE", str(here / "site"), priority="project")  # the bundled template

    def run(self, args, opts):
        verb = VERBS[args[0]]
        try:
            if verb.needs_locks(opts):
                with every_feed_locked(self.settings) as archive:
                    status = verb.run(archive, self.settings, opts)
            else:
                status = verb.run(Archive.from_settings(self.settings), self.settings, opts)
        except ArchiveLocked as exc:
            return self.fail(ExitStatus.LOCKED, f"{exc}; {verb.when_locked}, run it again when the crawl has ended")
        except VerbFailed as exc:
            return self.fail(exc.status, str(exc))
        except OSError as exc:
            return self.fail(ExitStatus.NOT_WRITABLE, f"the archive is not writable: {exc}")
        sys.stdout.flush()
        self.exitcode = int(status)

    def fail(self, status: ExitStatus, message: str) -> None:
        fail("archive", message)
        self.exitcode = int(status)
