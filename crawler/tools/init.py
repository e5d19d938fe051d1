"""`scrapy archive init DIR --site-url URL`: a new archive made ready to crawl and publish, or what one lacks added.

What it makes, each only when missing, saying in one line per thing what it did or left as it was:
- DIR itself (parents too), and its folders `_posts/` (what every command asks of an archive),
  `category/` and `emnews/`; `_posts/.gitkeep` in an empty posts folder, so that git keeps it;
- a git repository (`git init`, branch `--branch`, default main), unless DIR is the top of one
  already; inside another repository's work tree it refuses (it never commits into a parent);
- with `--remote URL`: the remote `origin`, and the branch's upstream set without a fetch (the two
  keys `git config branch.<branch>.remote|merge` that publish reads), so that the first
  `scrapy archive publish` pushes, also to an empty repository;
- `.gitignore` lines for what must never be committed: locks, worker ids, writes in progress, the
  built site, the quarantine (crawler/archive/layout.py); an existing file only gets the missing lines;
- `_config.yml`: the site's title, `url` and `baseurl` from --site-url;
- `.finews.cfg`, the archive's settings record (crawler/archive/record.py): FINEWS_SITE_URL, and
  FINEWS_SHARE_URL with --share-url;
- `.github/workflows/finews.yml`: the checkout's deploy/github-actions/finews.yml, with
  FINEWS_CRAWLER_REPOSITORY (--crawler-repository) and FINEWS_CRAWLER_REF (the checkout's commit)
  filled in.
Then one commit of the files it wrote (by path: nothing else the index holds), and no push. An
existing file is never rewritten; run it again and it adds nothing and commits nothing. Exit status
2: a bad option, DIR a file, a symbolic link, in the finews-crawler checkout or in another
repository's work tree, git missing; 1: git failed; 6: DIR not writable.
"""

import os
import re
import shlex
import shutil
from argparse import Namespace
from collections.abc import Mapping
from configparser import ConfigParser
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from crawler.archive import Archive, layout
from crawler.archive.files import atomic_write, file_text
from crawler.archive.record import SECTION, archive_settings
from crawler.archive.render import yaml_scalar
from crawler.exitstatus import ExitStatus
from crawler.tools.publish import IDENTITY, git, git_reason
from crawler.tools.verb import Option, Verb, VerbFailed

DEFAULT_BRANCH = "main"
DEFAULT_TITLE = "财经新闻存档"
WORKFLOW_TEMPLATE = Path("deploy", "github-actions", "finews.yml")  # in the finews-crawler checkout
WORKFLOW = Path(".github", "workflows", "finews.yml")  # in the archive: where GitHub Actions reads it
GITIGNORE = ".gitignore"
CONFIG = "_config.yml"
KEEP = ".gitkeep"
REPOSITORY_SETTING, REF_SETTING = "FINEWS_CRAWLER_REPOSITORY", "FINEWS_CRAWLER_REF"
# GitHub's names: an owner is letters, digits and single hyphens inside (at most 39); a repository
# letters, digits, `.`, `_`, `-` (at most 100), but not `.` or `..`.
_REPOSITORY_RE = re.compile(r"(?!-)(?!.*--)[A-Za-z0-9-]{1,39}(?<!-)/(?!\.\.?$)[A-Za-z0-9._-]{1,100}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TEMP_PREFIX = layout.temp_prefix("init")


def _ignored_lines() -> list[str]:
    """The .gitignore lines of what the archive never commits."""
    return [
        layout.LOCK_GLOB,
        layout.WORKER_ID_GLOB,
        layout.TEMP_GLOB,
        f"{layout.SITE_DIR}/",
        f"{layout.QUARANTINE_DIR}/",
    ]


class Init(Verb):
    name = "init"
    summary = "make DIR an archive ready to crawl and publish, or add what the archive there lacks"
    takes_folder = True
    makes_archive = True
    options = (
        Option(
            ("--site-url",),
            "the site's address, which every post links back to (https://alice.github.io/news); required",
            {"metavar": "URL"},
            setting="FINEWS_SITE_URL",
        ),
        Option(
            ("--remote",),
            "the URL of the archive's repository (remote origin), where publish pushes",
            {"metavar": "URL"},
        ),
        Option(("--branch",), f"the branch of a new repository (default {DEFAULT_BRANCH})", {"metavar": "NAME"}),
        Option(("--title",), f"the site's title in a new {CONFIG} (default {DEFAULT_TITLE})", {"metavar": "TEXT"}),
        Option(
            ("--share-url",),
            "record FINEWS_SHARE_URL, the share link under each post (a URL with {info_code})",
            {"metavar": "TEMPLATE"},
            setting="FINEWS_SHARE_URL",
        ),
        Option(
            ("--crawler-repository",),
            "your copy of finews-crawler on GitHub, which the workflow runs",
            {"metavar": "OWNER/NAME"},
        ),
    )

    def check(self, opts: Namespace) -> None:
        if opts.site_url is None:
            raise VerbFailed(
                ExitStatus.USAGE, "init needs --site-url URL: the site's address (https://alice.github.io/news)"
            )
        if opts.title is not None and (
            not opts.title.strip() or _CONTROL_RE.search(opts.title) or len(opts.title) > 200
        ):
            raise VerbFailed(
                ExitStatus.USAGE, f"--title must be one line of text (at most 200 characters), not {opts.title!r}"
            )
        if opts.crawler_repository is not None and not _REPOSITORY_RE.fullmatch(opts.crawler_repository):
            raise VerbFailed(
                ExitStatus.USAGE,
                f"--crawler-repository must be a GitHub OWNER/NAME (e.g. alice/finews-crawler), not {opts.crawler_repository!r}",
            )
        for flag, value in (("--remote", opts.remote), ("--branch", opts.branch), ("--share-url", opts.share_url)):
            if value is not None and (
                not value.strip() or value.startswith("-") or re.search(r"\s", value) or _CONTROL_RE.search(value)
            ):
                raise VerbFailed(ExitStatus.USAGE, f"{flag} takes one word, not {value!r}")

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        given = Path(str(settings.get("FINEWS_ARCHIVE_DIR")))
        made = Making(archive.root)
        checkout = getattr(opts, "checkout", None)
        refuse_odd_folder(given, made.root, checkout)
        if shutil.which("git") is None:
            raise VerbFailed(
                ExitStatus.USAGE, "git is not installed (Debian: apt-get install git): an archive is a git repository"
            )
        branch, new_repository = repository_branch(made.root, opts.branch)
        made.folders()
        made.repository(branch, new_repository)
        upstream = made.remote(branch, opts.remote)
        made.gitignore()
        site_url = opts.site_url.rstrip("/")  # the posts' links are made without it
        made.config(opts.title or DEFAULT_TITLE, site_url)
        made.record(site_url, opts.share_url)
        made.workflow(checkout, opts.crawler_repository)
        made.keep_posts_folder()
        made.commit()
        if not made.changed:
            made.say("nothing to add: everything init makes was there already")
        where = shlex.quote(str(made.root))
        if upstream:
            made.say(
                f"next: crawl into it (scrapy crawl eastmoney -s FINEWS_ARCHIVE_DIR={where}); the first publish "
                f"pushes to {upstream}: scrapy archive publish -s FINEWS_ARCHIVE_DIR={where}"
            )
        else:
            made.say(
                f"next: crawl into it (scrapy crawl eastmoney -s FINEWS_ARCHIVE_DIR={where}); with no upstream, "
                f"publish commits only: scrapy archive publish --no-push -s FINEWS_ARCHIVE_DIR={where}"
            )
        return ExitStatus.OK


def refuse_odd_folder(given: Path, root: Path, checkout: Path | None) -> None:
    """VerbFailed(USAGE) when DIR is a symbolic link, no folder, or in (or around) the finews-crawler checkout."""
    if given.is_symlink():
        raise VerbFailed(ExitStatus.USAGE, f"{given} is a symbolic link: give the folder itself ({root})")
    if root.exists() and not root.is_dir():
        raise VerbFailed(ExitStatus.USAGE, f"{given} is not a folder: give init a folder (it is made when missing)")
    here = checkout.resolve() if checkout else None
    if here and (root.is_relative_to(here) or here.is_relative_to(root)):
        raise VerbFailed(
            ExitStatus.USAGE,
            f"{root} is in the finews-crawler checkout {here} (or holds it): an archive is a folder of its own",
        )


def run_git(root: Path, *args: str) -> str:
    """git's output in the archive (no hook, no prompt: publish's git()); VerbFailed(FAILED) with its reason."""
    done = git(root, *args, check=False)
    if done.returncode != 0:
        command = next(arg for index, arg in enumerate(args) if arg != "-c" and (index == 0 or args[index - 1] != "-c"))
        raise VerbFailed(ExitStatus.FAILED, f"git {command} failed in {root}: {git_reason(done)}")
    return done.stdout


def repository_branch(root: Path, wanted: str | None) -> tuple[str, bool]:
    """The branch init works on, and whether the repository is to be made: DIR is the top of a work
    tree (its checked-out branch), or in none (a new one); VerbFailed(USAGE) when DIR is inside
    another repository, its HEAD is detached, or --branch is no branch name or not the checked-out one."""
    base = root
    while not base.exists():  # ends: the file system's root exists
        base = base.parent
    inside = git(base, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode != 0:
        if "not a git repository" not in inside.stderr:
            raise VerbFailed(
                ExitStatus.USAGE, f"git cannot tell whether {root} is in a repository: {git_reason(inside)}"
            )
        branch = wanted or DEFAULT_BRANCH
        valid = git(base, "check-ref-format", "--branch", branch, check=False)
        if valid.returncode != 0:
            raise VerbFailed(ExitStatus.USAGE, f"--branch {branch!r} is not a name git takes for a branch")
        return branch, True
    top = (
        Path(run_git(base, "rev-parse", "--show-toplevel").strip()).resolve()
        if inside.stdout.strip() == "true"
        else None
    )
    if top != root:
        where = f"the work tree of the git repository {top}" if top else "a git repository's own folder"
        raise VerbFailed(
            ExitStatus.USAGE,
            f"{root} is inside {where}: an archive is a repository of its own; give a folder outside it",
        )
    current = git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if not current:
        raise VerbFailed(ExitStatus.USAGE, f"the repository at {root} has a detached HEAD: check out its branch first")
    if wanted and wanted != current:
        raise VerbFailed(
            ExitStatus.USAGE,
            f"the repository at {root} is on branch {current}, not {wanted}: check out {wanted} or leave --branch out",
        )
    return current, False


def site_parts(site_url: str) -> tuple[str, str]:
    """Jekyll's `url` and `baseurl` of the site at `site_url`: https://alice.github.io/news is url
    https://alice.github.io and baseurl /news (a project's Pages site); a site at a host's root has
    baseurl ""; root-relative links ("") say neither."""
    parts = urlsplit(site_url)
    origin = f"{parts.scheme}:" if parts.scheme else ""
    return (f"{origin}//{parts.netloc}" if parts.netloc else "", parts.path.rstrip("/"))


def crawler_ref(checkout: Path | None) -> tuple[str | None, str]:
    """The full commit SHA the finews-crawler checkout runs: its HEAD, when it is a clone's top with
    no uncommitted change to a tracked file; else None and why not."""
    if checkout is None:
        return None, "no finews-crawler checkout here"
    top = git(checkout, "rev-parse", "--show-toplevel", check=False)
    head = git(checkout, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != checkout.resolve() or head.returncode != 0:
        return None, f"the checkout {checkout} is no git clone with a commit"
    status = git(checkout, "status", "--porcelain", "--untracked-files=no", check=False)
    if status.returncode != 0 or status.stdout.strip():
        return None, f"the checkout {checkout} has uncommitted changes: its HEAD is not what runs here"
    return head.stdout.strip(), ""


def workflow_text(template: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The workflow `template` with the values of its `env:` lines NAME: VALUE # comment replaced (the
    comment kept); returns the text and the names it had no line for."""
    missing = []
    for name, value in values.items():
        line = re.compile(rf"^(?P<lead>[ \t]+{name}:[ \t]+)[^\s#]+(?P<rest>[ \t]*(?:#.*)?)$", re.MULTILINE)
        template, found = line.subn(lambda m, v=value: m["lead"] + v + m["rest"], template, count=1)
        if not found:
            missing.append(name)
    return template, missing


def workflow_value(text: str, name: str) -> str | None:
    """The value of the `env:` line NAME: VALUE of a workflow's text, if it has one."""
    match = re.search(rf"^[ \t]+{name}:[ \t]+(?P<value>[^\s#]+)", text, re.MULTILINE)
    return match["value"] if match else None


class Making:
    """What init does in the archive at `root`: each step says what it did in one line; the files it
    wrote (relative paths) are what it commits."""

    def __init__(self, root: Path):
        self.root = root
        self.written: list[str] = []
        self.changed = False

    def say(self, line: str) -> None:
        print(line, flush=True)

    def did(self, line: str) -> None:
        self.changed = True
        self.say(line)

    def own(self, relative: Path) -> bool:
        """Whether no folder on the way from the archive to `relative` is a symbolic link (a write goes
        where it says), the file itself included."""
        path = self.root
        for part in relative.parts:
            path = path / part
            if path.is_symlink():
                return False
        return True

    def write(self, relative: str | Path, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, TEMP_PREFIX)
        self.written.append(Path(relative).as_posix())

    def folders(self) -> None:
        if self.root.is_dir():
            self.say(f"folder {self.root}: there already")
        else:
            self.root.mkdir(parents=True)
            self.did(f"folder {self.root}: made")
        for name in (layout.POSTS_DIR, layout.CATEGORY_DIR, layout.FAST_NEWS_DIR):
            path = self.root / name
            if path.is_symlink():
                raise VerbFailed(
                    ExitStatus.NOT_WRITABLE, f"{path} is a symbolic link: the archive's folders must be its own"
                )
            if path.is_dir():
                self.say(f"{name}/: there already")
            else:
                path.mkdir()  # a file there: FileExistsError, exit status 6
                self.did(f"{name}/: made")

    def repository(self, branch: str, new: bool) -> None:
        if not new:
            self.say(f"git repository: there already (branch {branch})")
            return
        run_git(self.root, "init", "--quiet", f"--initial-branch={branch}")
        self.did(f"git repository: made (git init, branch {branch})")

    def remote(self, branch: str, url: str | None) -> str | None:
        """origin added when missing; the branch's upstream set when it has none and origin is `url`.
        Returns the upstream (`origin/main`), or None when there is none."""
        origin = git(self.root, "config", "--get", "remote.origin.url", check=False).stdout.strip()
        if url and not origin:
            run_git(self.root, "remote", "add", "origin", url)
            origin = url
            self.did(f"remote origin: added ({url})")
        elif url and origin == url:
            self.say(f"remote origin: there already ({url})")
        elif url:
            self.say(
                f"remote origin: left as it is: it is {origin}, not {url} (git remote set-url origin URL changes it)"
            )
        remote = git(self.root, "config", "--get", f"branch.{branch}.remote", check=False).stdout.strip()
        merge = git(self.root, "config", "--get", f"branch.{branch}.merge", check=False).stdout.strip()
        if remote and merge:
            self.say(f"upstream of {branch}: there already ({remote} {merge.removeprefix('refs/heads/')})")
            return f"{remote}/{merge.removeprefix('refs/heads/')}"
        if url and origin == url:
            run_git(self.root, "config", f"branch.{branch}.remote", "origin")
            run_git(self.root, "config", f"branch.{branch}.merge", f"refs/heads/{branch}")
            self.did(f"upstream of {branch}: origin {branch} (set without a fetch: the first publish pushes it)")
            return f"origin/{branch}"
        why = "origin is another repository" if url else "no --remote URL"
        self.say(f"upstream of {branch}: none ({why}): publish has nowhere to push; init again with --remote URL")
        return None

    def gitignore(self) -> None:
        path = self.root / GITIGNORE
        wanted = _ignored_lines()
        if not self.own(Path(GITIGNORE)):
            self.say(f"{GITIGNORE}: left as it is: a symbolic link; it should hold the lines {', '.join(wanted)}")
            return
        if not path.exists():
            header = "# Never committed: finews-crawler's locks, worker ids and writes in progress, the built site, the quarantine\n"
            self.write(GITIGNORE, header + "".join(f"{line}\n" for line in wanted))
            self.did(f"{GITIGNORE}: made ({', '.join(wanted)})")
            return
        try:
            text = file_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            self.say(f"{GITIGNORE}: left as it is: it cannot be read ({exc}); it should hold {', '.join(wanted)}")
            return
        have = {line.strip() for line in text.splitlines()}
        missing = [line for line in wanted if line not in have]
        if not missing:
            self.say(f"{GITIGNORE}: there already, with every line init adds")
            return
        self.write(
            GITIGNORE,
            text + ("\n" if text and not text.endswith("\n") else "") + "".join(f"{line}\n" for line in missing),
        )
        self.did(f"{GITIGNORE}: there already; added {', '.join(missing)}")

    def config(self, title: str, site_url: str) -> None:
        url, baseurl = site_parts(site_url)
        path = self.root / CONFIG
        if not os.path.lexists(path):
            text = (
                "# The archive's own Jekyll settings, read over those of finews-crawler's site template.\n"
                f"title: {yaml_scalar(title)}\nurl: {yaml_scalar(url)}\nbaseurl: {yaml_scalar(baseurl)}\n"
            )
            self.write(CONFIG, text)
            self.did(f"{CONFIG}: made (title {title}, url {url!r}, baseurl {baseurl!r})")
            return
        self.say(f"{CONFIG}: there already, left as it is")
        try:
            there = yaml.safe_load(file_text(path))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            there = None
        if not isinstance(there, dict):
            self.say(f"{CONFIG}: it cannot be read as Jekyll's settings (scrapy archive doctor tells why)")
        elif (there.get("url", ""), there.get("baseurl", "")) != (url, baseurl):
            self.say(
                f"{CONFIG}: its url {there.get('url')!r} and baseurl {there.get('baseurl')!r} are not those of "
                f"--site-url ({url!r}, {baseurl!r}): left as it is; edit it if the site is at --site-url"
            )

    def record(self, site_url: str, share_url: str | None) -> None:
        name = layout.SETTINGS_FILE
        if os.path.lexists(self.root / name):
            try:
                there = archive_settings(self.root)  # read and checked before the verb ran
            except ValueError as exc:  # changed since
                raise VerbFailed(ExitStatus.USAGE, str(exc)) from None
            self.say(f"{name}: there already, left as it is")
            for setting, value in (("FINEWS_SITE_URL", site_url), ("FINEWS_SHARE_URL", share_url)):
                if value is not None and there.get(setting) != value:
                    self.say(f"{name}: its {setting} is {there.get(setting)!r}, not {value!r}: left as it is (edit it)")
            return
        values = {"FINEWS_SITE_URL": site_url, **({"FINEWS_SHARE_URL": share_url} if share_url else {})}
        parser = ConfigParser(interpolation=None)
        parser.optionxform = str
        parser[SECTION] = values
        text = StringIO()
        parser.write(text)
        header = (
            "# This archive's settings: every finews-crawler command run on it reads them (scrapy archive init\n"
            "# wrote the file). A -s NAME=VALUE on the command line wins over a line here (docs/reference.md).\n"
        )
        self.write(name, header + text.getvalue())
        self.did(f"{name}: made (FINEWS_SITE_URL {site_url!r})")
        if not share_url:
            self.say(
                f"{name}: no FINEWS_SHARE_URL: the posts' share links keep the default (docs/reference.md); "
                "--share-url TEMPLATE records one"
            )

    def workflow(self, checkout: Path | None, repository: str | None) -> None:
        template = checkout / WORKFLOW_TEMPLATE if checkout else None
        path = self.root / WORKFLOW
        shown = WORKFLOW.as_posix()
        original = None
        if template is not None and template.is_file():
            original = workflow_value(file_text(template), REPOSITORY_SETTING)
        if os.path.lexists(path):
            self.say(f"{shown}: there already, left as it is")
            try:
                named = workflow_value(file_text(path), REPOSITORY_SETTING)
            except (OSError, UnicodeDecodeError):
                named = None
            if named is not None and named == original:
                self.say(f"{shown}: set {REPOSITORY_SETTING} in it to your copy of finews-crawler (OWNER/NAME)")
            elif repository and named is not None and named != repository:
                self.say(f"{shown}: it runs {named}, not {repository}: left as it is (edit {REPOSITORY_SETTING} in it)")
            return
        if template is None or not template.is_file():
            self.say(f"{shown}: not made: no workflow to copy ({template or WORKFLOW_TEMPLATE} is not there)")
            return
        if not self.own(WORKFLOW.parent):
            self.say(f"{shown}: not made: {WORKFLOW.parent} has a symbolic link on its way")
            return
        ref, why = crawler_ref(checkout)
        values = {**({REPOSITORY_SETTING: repository} if repository else {}), **({REF_SETTING: ref} if ref else {})}
        text, missing = workflow_text(file_text(template), values)
        self.write(WORKFLOW, text)
        runs = workflow_value(text, REPOSITORY_SETTING)
        self.did(
            f"{shown}: made from {template} ({REPOSITORY_SETTING} {runs}, {REF_SETTING} {workflow_value(text, REF_SETTING)})"
        )
        for name in missing:
            self.say(f"{shown}: the copy has no {name} line: set it by hand")
        if ref is None:
            self.say(f"{shown}: {REF_SETTING} left as the template has it: {why}")
        else:
            self.say(f"{shown}: {REF_SETTING} is this checkout's commit: push it to {runs} before the workflow runs")
        if runs == original and not repository:
            self.say(
                f"{shown}: set {REPOSITORY_SETTING} in it to your copy of finews-crawler (or init with --crawler-repository)"
            )

    def keep_posts_folder(self) -> None:
        """`_posts/.gitkeep` in an empty posts folder: git keeps no empty folder, and a clone without
        `_posts/` is no archive to any command."""
        posts = self.root / layout.POSTS_DIR
        if not any(posts.iterdir()):
            self.write(Path(layout.POSTS_DIR, KEEP), "")
            self.did(f"{layout.POSTS_DIR}/{KEEP}: made (git keeps the empty posts folder)")

    def commit(self) -> None:
        """One commit of the files init wrote, by path: whatever else the index holds stays out."""
        paths = list(self.written)
        listed = "".join(f"{path}\0" for path in paths)
        ignored = git(self.root, "check-ignore", "-z", "--stdin", check=False, input=listed).stdout.split("\0")
        for path in [path for path in paths if path in ignored]:
            self.say(f"{path}: not committed: the archive's .gitignore ignores it")
            paths.remove(path)
        if paths:
            run_git(self.root, "add", "--", *paths)
        if not paths or git(self.root, "diff", "--cached", "--quiet", "--", *paths, check=False).returncode == 0:
            self.say("commit: none (init wrote nothing git lacks)")
        else:
            identity = [] if git(self.root, "config", "user.email", check=False).stdout.strip() else IDENTITY
            message = f"finews: scrapy archive init: {', '.join(paths)}"
            run_git(self.root, *identity, "commit", "--quiet", "-m", message, "--", *paths)
            head = run_git(self.root, "rev-parse", "--short", "HEAD").strip()
            self.did(f"commit {head}: {message} (not pushed)")
        own = [GITIGNORE, CONFIG, layout.SETTINGS_FILE, WORKFLOW.as_posix(), f"{layout.POSTS_DIR}/{KEEP}"]
        tracked = set(run_git(self.root, "ls-files", "-z", "--", *own).split("\0"))
        untracked = [
            path for path in own if (self.root / path).is_file() and path not in tracked and path not in ignored
        ]
        if untracked:
            self.say(
                f"not in git yet (init commits only what it writes): {', '.join(untracked)}: git add and commit them"
            )
