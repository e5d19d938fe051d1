"""`scrapy archive export|maintain|build|publish|doctor`: JSON Lines, upkeep, the web site, git, repairs.

export    every post in `_posts/` and the old-posts folder, one JSON object a line (key, date,
          title, source, category, path), on stdout or into -o FILE.
maintain  --move-older-than DAYS: posts dated (by file name, Beijing time) more than DAYS days
          ago go from `_posts/` to the old-posts folder; --fix-categories: the missing index
          pages of the posts in `_posts/` and the old-posts folder are written. It holds both feeds' archive locks, so it
          never runs while a crawl writes (exit status 3, as a crawl's), and writes atomically.

build     the web site of every post of `_posts/` and the old-posts folder, with paged lists
          and a search index (crawler/archive/website.py), into --out DIR (default
          <archive>/_site); --no-search leaves Pagefind out. Crawls may run meanwhile: posts
          are written atomically, and a post written during the build is in the next one.

publish   commit what crawls added or changed (posts, category and index pages) and push it to
          the branch's upstream, rebasing onto what others pushed (crawler/archive/publish.py);
          --no-push commits only; --remote/--branch say where to push. Holds both feeds' locks.

doctor    check every post and page of the archive for what the old scripts left behind
          (crawler/archive/doctor.py); --fix repairs what it can, under both feeds' locks;
          --report FILE writes the findings as JSON.

Exit statuses: 0 done (also: nothing new; doctor: no problem, notes aside), 1 the build failed
(doctor: problems found, or left after --fix) (Jekyll's or Pagefind's own error
line), 2 usage error (also: no archive there, no template, Pagefind missing, not a git work tree,
no upstream), 3 a crawl holds the archive (nothing done), 6 the archive is not writable, 9 the
push failed for good (git's reason; the commit is kept and the next publish pushes it).
"""

import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.archive import FEEDS, Archive, ArchiveLocked
from crawler.archive.doctor import Doctor
from crawler.archive.files import atomic_writer
from crawler.archive.index import post_files
from crawler.archive.maintenance import missing_index_pages, move_old_posts
from crawler.archive.posts import post_record
from crawler.archive.publish import PublishFailed, publish
from crawler.archive.website import BuildFailed, ToolMissing, build, default_template, pagefind_command, refuse_output
from crawler.items import SHANGHAI


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self):
        return (
            "export [-o FILE] | maintain [--move-older-than DAYS] [--fix-categories] | build [--out DIR] [--no-search]"
        )

    def short_desc(self):
        return "The archive's posts as JSON Lines (export), upkeep (maintain), site (build), git (publish), repairs (doctor)"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="export: write the JSON Lines to FILE, not stdout")
        parser.add_argument(
            "--move-older-than", metavar="DAYS", type=int, help="maintain: move posts older than DAYS days"
        )
        parser.add_argument("--fix-categories", action="store_true", help="maintain: write missing category pages")
        parser.add_argument("--out", metavar="DIR", help="build: where the site goes (default: <archive>/_site)")
        parser.add_argument("--no-search", action="store_true", help="build: no search index (no Pagefind)")
        parser.add_argument("--no-push", action="store_true", help="publish: commit only")
        parser.add_argument("--fix", action="store_true", help="doctor: repair what can be repaired")
        parser.add_argument("--report", metavar="FILE", help="doctor: write the findings as JSON to FILE")
        parser.add_argument("--remote", metavar="NAME", help="publish: push there (default: the branch's upstream)")
        parser.add_argument("--branch", metavar="NAME", help="publish: push to this branch (default: the upstream's)")

    def process_options(self, args, opts):
        super().process_options(args, opts)
        if len(args) != 1 or args[0] not in ("export", "maintain", "build", "publish", "doctor"):
            raise UsageError("say what to do: export, maintain, build, publish or doctor")
        maintaining = opts.move_older_than is not None or opts.fix_categories
        if args[0] != "maintain" and maintaining:
            raise UsageError("--move-older-than and --fix-categories belong to maintain")
        if args[0] != "export" and opts.output:
            raise UsageError("-o belongs to export")
        if args[0] != "build" and (opts.out or opts.no_search):
            raise UsageError("--out and --no-search belong to build")
        if args[0] != "publish" and (opts.no_push or opts.remote or opts.branch):
            raise UsageError("--no-push, --remote and --branch belong to publish")
        if args[0] != "doctor" and (opts.fix or opts.report):
            raise UsageError("--fix and --report belong to doctor")
        if args[0] == "maintain" and not maintaining:
            raise UsageError("maintain needs --move-older-than DAYS, --fix-categories or both")
        if (opts.move_older_than or 0) < 0:
            raise UsageError("--move-older-than needs 0 or more days")
        root = Path(self.settings["FINEWS_ARCHIVE_DIR"])
        if not (root / "_posts").is_dir():
            raise UsageError(f"no archive at {root.resolve()} (no _posts folder); set -s FINEWS_ARCHIVE_DIR=...")

    def run(self, args, opts):
        if args[0] == "export":
            self.export(opts.output)
        elif args[0] == "build":
            self.build(opts.out, search=not opts.no_search)
        elif args[0] == "publish":
            self.publish(not opts.no_push, opts.remote, opts.branch)
        elif args[0] == "doctor":
            self.doctor(opts.fix, opts.report)
        else:
            self.maintain(opts.move_older_than, opts.fix_categories)

    def build(self, out: str | None, search: bool) -> None:
        root = Path(self.settings["FINEWS_ARCHIVE_DIR"]).resolve()
        template = Path(self.settings["FINEWS_SITE_TEMPLATE"]) if self.settings.get("FINEWS_SITE_TEMPLATE") else None
        template = template or default_template()
        if template is None or not template.is_dir():
            return self.fail(
                2, "no site template: run from a checkout of finews-crawler, or set -s FINEWS_SITE_TEMPLATE=DIR"
            )
        try:
            refuse_output(root, Path(out).resolve() if out else root / "_site", self.settings["FINEWS_OLD_POSTS_DIR"])
        except BuildFailed as exc:
            return self.fail(2, str(exc))
        try:
            if search:
                pagefind_command()  # missing: said before a long build, not after
            built = build(root, Path(out) if out else root / "_site", self.settings["FINEWS_OLD_POSTS_DIR"],
                          template, search)  # fmt: skip
        except ToolMissing as exc:
            return self.fail(2, str(exc))
        except BuildFailed as exc:
            return self.fail(1, str(exc))
        except OSError as exc:
            return self.fail(6, f"cannot build into {out or root / '_site'}: {exc}")
        search_line = f", search index {built.search_seconds:.1f} s" if built.search_seconds is not None else ""
        print(f"built {built.out}: {built.posts} posts, jekyll {built.jekyll_seconds:.1f} s{search_line}")

    def export(self, output: str | None) -> None:
        lines = self.export_lines(Archive.from_settings(self.settings))
        if output:
            target = Path(output)
            try:
                with atomic_writer(target, f".{target.name}-") as out:  # never half a file
                    out.writelines(lines)
            except OSError as exc:
                self.fail(2, f"cannot write {output}: {exc}")
            return
        sys.stdout.reconfigure(encoding="utf-8")
        try:
            sys.stdout.writelines(lines)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): fine, and no traceback at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    @staticmethod
    def export_lines(archive: Archive) -> Iterator[str]:
        """One JSON line per post of `_posts/` and the old-posts folder; unreadable posts are named on stderr."""
        skipped = 0
        for path in post_files(archive.posts_dir) + post_files(archive.old_posts_dir):
            try:
                record = post_record(path, archive.root)
            except (OSError, ValueError) as exc:  # OSError: moved away by maintenance meanwhile
                print(f"skipped {path}: {exc}", file=sys.stderr)
                skipped += 1
                continue
            line = json.dumps(record, ensure_ascii=False)
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate from an old post's escapes: JSON's \\u form
                line = json.dumps(record)
            yield line + "\n"
        if skipped:
            print(f"{skipped} unreadable posts skipped", file=sys.stderr)

    def doctor(self, fix: bool, report: str | None) -> None:
        archives = [Archive.from_settings(self.settings, feed.name) for feed in FEEDS]  # each feed's lock
        try:
            if fix:
                for archive in archives:
                    archive.lock(crawl=False)
            doctor = Doctor(archives[0])
            found = doctor.diagnose()
            if fix:
                found = doctor.repair()
        except ArchiveLocked as exc:
            return self.fail(3, f"{exc}; nothing was changed, run it again when the crawl has ended")
        except OSError as exc:
            return self.fail(6, f"the archive is not writable: {exc}")
        finally:
            for archive in archives:
                archive.unlock()
        for finding in found.findings:
            state = "fixed" if finding.fixed else ("note" if finding.note else "problem")  # notes: report only
            print(f"{state:8} {finding.kind:21} {finding.file}: {finding.detail} -> {finding.fix}")
        notes = sum(f.note for f in found.findings)
        fixed = sum(f.fixed for f in found.findings)
        print(f"{found.posts} posts, {found.pages} index pages: {len(found.problems)} problems"
              f"{f', {fixed} fixed' if fix else ''}, {notes} notes")  # fmt: skip
        if report:
            try:
                with atomic_writer(Path(report), f".{Path(report).name}-") as out:
                    json.dump(found.as_json(), out, ensure_ascii=False, indent=1)
            except OSError as exc:
                return self.fail(6, f"cannot write {report}: {exc}")
        if found.problems:
            self.exitcode = 1

    def publish(self, push: bool, remote: str | None, branch: str | None) -> None:
        archives = [Archive.from_settings(self.settings, feed.name) for feed in FEEDS]  # each feed's lock
        try:
            for archive in archives:
                archive.lock(crawl=False)
            done = publish(archives[0].root, self.settings["FINEWS_OLD_POSTS_DIR"], push, remote, branch)
        except ArchiveLocked as exc:
            return self.fail(3, f"{exc}; nothing was committed, run it again when the crawl has ended")
        except PublishFailed as exc:
            return self.fail(
                exc.status, str(exc) + ("; the commit is kept for the next publish" if exc.status == 9 else "")
            )
        except OSError as exc:
            return self.fail(6, f"the archive is not writable: {exc}")
        finally:
            for archive in archives:
                archive.unlock()
        print(done.message or "nothing new to commit")
        if done.pushed:
            print(f"pushed {done.ahead} commit{'s' if done.ahead != 1 else ''} ({done.attempts} attempt"
                  f"{'s' if done.attempts != 1 else ''})")  # fmt: skip

    def maintain(self, older_than: int | None, fix_categories: bool) -> None:
        archives = [Archive.from_settings(self.settings, feed.name) for feed in FEEDS]  # each feed's lock
        try:
            for archive in archives:
                archive.lock(crawl=False)
            archive = archives[0]
            if older_than is not None:
                before = datetime.now(SHANGHAI).date() - timedelta(days=older_than)
                moved = move_old_posts(archive, before)
                old = self.settings["FINEWS_OLD_POSTS_DIR"]
                print(f"moved {len(moved)} posts dated before {before} (older than {older_than} days) to {old}/")
            if fix_categories:
                pages, unreadable = missing_index_pages(archive)
                for path, reason in unreadable.items():
                    print(f"skipped {path}: {reason}", file=sys.stderr)
                for path, text in sorted(pages.items()):
                    archive.write(path, text)
                    print(f"wrote {path.relative_to(archive.root)}")
                print(f"{len(pages)} missing index pages written")
        except ArchiveLocked as exc:
            self.fail(3, f"{exc}; nothing was done, run it again when the crawl has ended")
        except OSError as exc:
            self.fail(6, f"the archive is not writable: {exc}")
        finally:
            for archive in archives:
                archive.unlock()

    def fail(self, status: int, message: str) -> None:
        print(f"scrapy archive: {message}", file=sys.stderr)
        self.exitcode = status
