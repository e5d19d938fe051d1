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
  built site, the quarantine (crawler/archive/layout.py); an existing file only gets the lines of
  what it does not ignore as git reads it (`git check-ignore` on a sample name of each);
- `_config.yml`: the site's title, `url` and `baseurl` from --site-url;
- `.finews.cfg`, the archive's settings record (crawler/archive/record.py): FINEWS_SITE_URL, and
  FINEWS_SHARE_URL with --share-url;
- `.github/workflows/finews.yml`: the checkout's deploy/github-actions/finews.yml, with
  FINEWS_CRAWLER_REPOSITORY (--crawler-repository) and FINEWS_CRAWLER_REF (the checkout's commit)
  filled in.
Then one commit of its own files that the last commit lacks (by path: nothing else the index holds):
those it wrote, and those an init that stopped before its commit left (a full disk, Ctrl-C, a
locked ref); and no push. A `.gitignore` in the last commit that holds uncommitted changes gets its
lines but stays out of the commit (they may be a person's). An existing file is never rewritten
(but .gitignore appended to); run it again and it adds nothing and commits nothing.

Git runs without the variables that point it at another repository (GIT_DIR, GIT_WORK_TREE, ...:
publish's REPOSITORY_VARIABLES), and DIR's repository must be its own: its `.git` a folder in it (not a link, not a
`gitdir:` file of a linked work tree). One init or publish at a time in a repository (an flock on
publish's lock file in its git folder). Every option is checked before anything is written. Exit
status 2: a bad option (text that is no UTF-8 too), DIR a file, a symbolic link, in the
finews-crawler checkout, in another repository's work tree or a work tree of another's git folder,
git missing; 3: another init or publish runs in the repository; 1: git failed; 6: DIR not writable,
or one of its folders a symbolic link or a file (as every command refuses such an archive).
"""

import fcntl
import os
import re
import shlex
import shutil
import subprocess
from argparse import Namespace
from collections.abc import Iterator, Mapping
from configparser import ConfigParser
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from crawler.archive import FEEDS, Archive, layout
from crawler.archive.files import TEMP_SUFFIX, atomic_write, file_text
from crawler.archive.record import SECTION, archive_settings
from crawler.archive.render import yaml_scalar
from crawler.exitstatus import ExitStatus
from crawler.tools.publish import IDENTITY, PUBLISH_LOCK, git_reason, shown
from crawler.tools.publish import git as publish_git
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


def _ignored_lines() -> dict[str, list[str]]:
    """The .gitignore lines of what the archive never commits, each with the names (made as the archive
    makes them) it must keep out of git: a line is there when git ignores all of them."""
    feeds = [feed.name for feed in FEEDS]
    return {
        layout.LOCK_GLOB: [layout.lock_name(feed) for feed in feeds],
        layout.WORKER_ID_GLOB: [layout.worker_id_name(feed) for feed in feeds],
        layout.DROPS_GLOB: [layout.lock_name(feed, layout.DROPS_GLOB) for feed in feeds],  # a machine's own memory
        layout.COVERAGE_GLOB: [layout.lock_name(feed, layout.COVERAGE_GLOB) for feed in feeds],
        layout.TEMP_GLOB: [  # atomic_write's temp files, beside the file they replace
            f"{folder}{layout.temp_prefix(feed)}x1y2z3{TEMP_SUFFIX}"
            for feed in [*feeds, "init"]
            for folder in ("", f"{layout.POSTS_DIR}/")
        ],
        f"{layout.SITE_DIR}/": [f"{layout.SITE_DIR}/"],
        f"{layout.QUARANTINE_DIR}/": [f"{layout.QUARANTINE_DIR}/"],
    }


def own_files() -> list[str]:
    """The files of the archive init makes (relative, as git names them): what it commits."""
    return [GITIGNORE, CONFIG, layout.SETTINGS_FILE, WORKFLOW.as_posix(), f"{layout.POSTS_DIR}/{KEEP}"]


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
        for option in self.options:  # before any other check: what is said of a value shows it
            value = getattr(opts, option.flags[0].lstrip("-").replace("-", "_"))
            if value is not None and not is_text(value):
                raise VerbFailed(
                    ExitStatus.USAGE,
                    f"{option.flags[0]} {shown(value)!r} is not UTF-8 text (bytes no character is, shown as "
                    "\ufffd): give it as UTF-8",
                )
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
        refuse_linked_folders(made.root)
        branch, new_repository = repository_branch(made.root, opts.branch)
        existed = made.root.is_dir()
        if new_repository:  # the repository's git folder holds the lock: made first, said below
            made.root.mkdir(parents=True, exist_ok=True)
            if os.path.lexists(made.root / ".git"):  # another init made it since
                branch, new_repository = repository_branch(made.root, opts.branch)
            else:
                run_git(made.root, "init", "--quiet", f"--initial-branch={branch}")
        git_dir = own_git_dir(made.root)
        with one_at_a_time(git_dir, made.root):
            made.folders(existed)
            made.repository(branch, new_repository)
            upstream = made.remote(branch, opts.remote)
            made.gitignore()
            site_url = opts.site_url.rstrip("/")  # the posts' links are made without it
            made.config(opts.title, site_url)
            made.record(site_url, opts.share_url)
            made.workflow(checkout, opts.crawler_repository)
            made.keep_posts_folder()
            made.commit()
        if not made.changed:
            made.say("nothing to add: everything init makes was there already")
        where = shown(shlex.quote(str(made.root)))
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


def is_text(value: str) -> bool:
    """Whether an option's value is text: no byte of the command line that is no UTF-8 (Python gives
    such a byte as a lone surrogate, which no file can hold)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_odd_folder(given: Path, root: Path, checkout: Path | None) -> None:
    """VerbFailed(USAGE) when DIR is a symbolic link, no folder, or in (or around) the finews-crawler checkout."""
    if given.is_symlink():
        raise VerbFailed(
            ExitStatus.USAGE, f"{shown(str(given))} is a symbolic link: give the folder itself ({shown(str(root))})"
        )
    if root.exists() and not root.is_dir():
        raise VerbFailed(
            ExitStatus.USAGE, f"{shown(str(given))} is not a folder: give init a folder (it is made when missing)"
        )
    here = checkout.resolve() if checkout else None
    if here and (root.is_relative_to(here) or here.is_relative_to(root)):
        raise VerbFailed(
            ExitStatus.USAGE,
            f"{shown(str(root))} is in the finews-crawler checkout {shown(str(here))} (or holds it): an archive "
            "is a folder of its own",
        )


def refuse_linked_folders(root: Path) -> None:
    """VerbFailed(NOT_WRITABLE), before anything is written, when a folder of the archive (`_posts/`,
    `category/`, `emnews/`) is a symbolic link or no folder: what every command refuses (ArchiveLinked)."""
    for name in (layout.POSTS_DIR, layout.CATEGORY_DIR, layout.FAST_NEWS_DIR):
        path = root / name
        if path.is_symlink():
            raise VerbFailed(
                ExitStatus.NOT_WRITABLE,
                f"{shown(str(path))} is a symbolic link: the archive's folders must be its own; nothing was made",
            )
        if os.path.lexists(path) and not path.is_dir():
            raise VerbFailed(
                ExitStatus.NOT_WRITABLE, f"{shown(str(path))} is no folder: move it aside; nothing was made"
            )


def git(root: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """git run in `root` as publish runs it (crawler/tools/publish.py: no hook, no prompt, never on another
    repository than the one at `root`), its status left to the caller."""
    return publish_git(root, *args, check=False, input=input)


def run_git(root: Path, *args: str, input: str | None = None) -> str:
    """git's output in the archive (git() above); VerbFailed(FAILED) with its reason."""
    done = git(root, *args, input=input)
    if done.returncode != 0:
        command = next(arg for index, arg in enumerate(args) if arg != "-c" and (index == 0 or args[index - 1] != "-c"))
        raise VerbFailed(ExitStatus.FAILED, f"git {command} failed in {shown(str(root))}: {shown(git_reason(done))}")
    return done.stdout


def own_git_dir(root: Path) -> Path:
    """The git folder of the repository at `root`: `root/.git`, a folder (not a symbolic link, not the
    `gitdir:` file of a linked work tree or a submodule) that is the repository's own (no `commondir`
    elsewhere), with `root` the top of its work tree; VerbFailed(USAGE) when not: init would commit
    into another repository."""
    refuse_foreign_dot_git(root)
    where, dot_git = shown(str(root)), root / ".git"
    git_dir = run_git(root, "rev-parse", "--absolute-git-dir").strip()
    common = run_git(root, "rev-parse", "--git-common-dir").strip()
    top = run_git(root, "rev-parse", "--show-toplevel").strip()
    mine = dot_git.resolve()
    if Path(git_dir).resolve() != mine or (root / common).resolve() != mine or not top or Path(top).resolve() != root:
        raise VerbFailed(
            ExitStatus.USAGE,
            f"git works in {where} on the git folder {shown(git_dir)} with the work tree {shown(top)}: an "
            "archive is a repository of its own, its .git a folder in it (see its core.worktree); nothing was made",
        )
    return Path(git_dir)


def refuse_foreign_dot_git(root: Path) -> None:
    """VerbFailed(USAGE) when `root/.git` is a symbolic link (to another repository's git folder) or no
    folder (the `gitdir:` file of a linked work tree, `git worktree add`, or of a submodule)."""
    dot_git, where = root / ".git", shown(str(root))
    if dot_git.is_symlink():
        raise VerbFailed(
            ExitStatus.USAGE,
            f"{where}/.git is a symbolic link (to {shown(os.readlink(dot_git))}): an archive is a repository "
            "of its own, its .git a folder in it; nothing was made",
        )
    if not dot_git.is_dir():
        raise VerbFailed(
            ExitStatus.USAGE,
            f"{where}/.git is no folder (a linked work tree's or a submodule's gitdir: file): an archive is a "
            "repository of its own, its .git a folder in it; nothing was made",
        )


@contextmanager
def one_at_a_time(git_dir: Path, root: Path) -> Iterator[None]:
    """An flock for the whole init on publish's lock file in the repository's git folder: a second
    init, or a publish, in the same repository waits for nothing (exit status 3), and the one running
    says what it committed."""
    fd = os.open(git_dir / PUBLISH_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VerbFailed(
                ExitStatus.LOCKED,
                f"another scrapy archive init or publish is running in {shown(str(root))}: nothing was done; "
                "run init again when it has ended",
            ) from None
        yield
    finally:
        os.close(fd)


def repository_branch(root: Path, wanted: str | None) -> tuple[str, bool]:
    """The branch init works on, and whether the repository is to be made: DIR is the top of a work
    tree (its checked-out branch), or in none (a new one); VerbFailed(USAGE) when DIR is inside
    another repository, its HEAD is detached, or --branch is no branch name or not the checked-out one."""
    base = root
    while not base.exists():  # ends: the file system's root exists
        base = base.parent
    dot_git = os.path.lexists(root / ".git")
    if dot_git:
        refuse_foreign_dot_git(root)
    inside = git(base, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        if "not a git repository" not in inside.stderr:
            raise VerbFailed(
                ExitStatus.USAGE,
                f"git cannot tell whether {shown(str(root))} is in a repository: {shown(git_reason(inside))}",
            )
        if dot_git:
            raise VerbFailed(
                ExitStatus.USAGE,
                f"{shown(str(root))}/.git is a folder in which git finds no repository ({shown(git_reason(inside))}): "
                "repair it or move it aside; nothing was made",
            )
        branch = wanted or DEFAULT_BRANCH
        valid = git(base, "check-ref-format", "--branch", branch)
        if valid.returncode != 0:
            raise VerbFailed(ExitStatus.USAGE, f"--branch {branch!r} is not a name git takes for a branch")
        return branch, True
    top = (
        Path(run_git(base, "rev-parse", "--show-toplevel").strip()).resolve()
        if inside.stdout.strip() == "true"
        else None
    )
    if top is None and dot_git:
        worktree = git(root, "config", "--get", "core.worktree").stdout.strip()
        raise VerbFailed(
            ExitStatus.USAGE,
            f"the repository {shown(str(root))}/.git has its work tree elsewhere (core.worktree "
            f"{shown(worktree) or 'unset: a bare repository'}): an archive is a repository of its own; nothing was made",
        )
    if top != root:
        where = f"the work tree of the git repository {shown(str(top))}" if top else "a git repository's own folder"
        raise VerbFailed(
            ExitStatus.USAGE,
            f"{shown(str(root))} is inside {where}: an archive is a repository of its own; give a folder outside it",
        )
    own_git_dir(root)
    current = git(root, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if not current:
        raise VerbFailed(
            ExitStatus.USAGE, f"the repository at {shown(str(root))} has a detached HEAD: check out its branch first"
        )
    if wanted and wanted != current:
        raise VerbFailed(
            ExitStatus.USAGE,
            f"the repository at {shown(str(root))} is on branch {shown(current)}, not {wanted}: check out {wanted} "
            "or leave --branch out",
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
    top = git(checkout, "rev-parse", "--show-toplevel")
    head = git(checkout, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != checkout.resolve() or head.returncode != 0:
        return None, f"the checkout {shown(str(checkout))} is no git clone with a commit"
    status = git(checkout, "status", "--porcelain", "--untracked-files=no")
    if status.returncode != 0 or status.stdout.strip():
        return None, f"the checkout {shown(str(checkout))} has uncommitted changes: its HEAD is not what runs here"
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
    """What init does in the archive at `root`: each step says what it did in one line; its own files
    that the last commit lacks (those it wrote, those an earlier init left) are what it commits."""

    def __init__(self, root: Path):
        self.root = root
        self.written: list[str] = []
        self.kept_out: set[str] = set()  # own files it changed but must not commit (a person's changes in them)
        self.linked: set[str] = set()  # own files behind a symbolic link: left alone, said once
        self.changed = False
        self._in_head: set[str] | None = None

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

    def in_head(self) -> set[str]:
        """Init's own files the last commit holds (HEAD's tree, not the index: a file an init that stopped
        staged is not committed yet); none before the first commit."""
        if self._in_head is None:
            self._in_head = set()
            if git(self.root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode == 0:
                listed = run_git(self.root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", *own_files())
                self._in_head = {path for path in listed.split("\0") if path}
        return self._in_head

    def folders(self, existed: bool) -> None:
        where = shown(str(self.root))
        if existed:
            self.say(f"folder {where}: there already")
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            self.did(f"folder {where}: made")
        for name in (layout.POSTS_DIR, layout.CATEGORY_DIR, layout.FAST_NEWS_DIR):  # no link: refused before
            path = self.root / name
            if path.is_dir():
                self.say(f"{name}/: there already")
            else:
                path.mkdir()  # a file there since: FileExistsError, exit status 6
                self.did(f"{name}/: made")

    def repository(self, branch: str, new: bool) -> None:
        if new:  # made by run(), before the lock it holds
            self.did(f"git repository: made (git init, branch {branch})")
        else:
            self.say(f"git repository: there already (branch {shown(branch)})")

    def remote(self, branch: str, url: str | None) -> str | None:
        """origin added when missing; the branch's upstream set when it has none and origin is `url`.
        Returns the upstream (`origin/main`), or None when there is none."""
        origin = git(self.root, "config", "--get", "remote.origin.url").stdout.strip()
        if url and not origin:
            run_git(self.root, "remote", "add", "origin", url)
            origin = url
            self.did(f"remote origin: added ({url})")
        elif url and origin == url:
            self.say(f"remote origin: there already ({url})")
        elif url:
            self.say(
                f"remote origin: left as it is: it is {shown(origin)}, not {url} (git remote set-url origin {url} "
                "changes it)"
            )
        remote = git(self.root, "config", "--get", f"branch.{branch}.remote").stdout.strip()
        merge = git(self.root, "config", "--get", f"branch.{branch}.merge").stdout.strip()
        if remote and merge:
            upstream = f"{shown(remote)} {shown(merge.removeprefix('refs/heads/'))}"
            self.say(f"upstream of {branch}: there already ({upstream})")
            return f"{shown(remote)}/{shown(merge.removeprefix('refs/heads/'))}"
        if url and origin == url:
            run_git(self.root, "config", f"branch.{branch}.remote", "origin")
            run_git(self.root, "config", f"branch.{branch}.merge", f"refs/heads/{branch}")
            self.did(f"upstream of {branch}: origin {branch} (set without a fetch: the first publish pushes it)")
            return f"origin/{branch}"
        if url:
            self.say(
                f"upstream of {branch}: none (origin is another repository): publish has nowhere to push; "
                f"git remote set-url origin {url}, then init again, sets it"
            )
        else:
            self.say(
                f"upstream of {branch}: none (no --remote URL): publish has nowhere to push; init again with --remote URL"
            )
        return None

    def not_ignored(self, wanted: dict[str, list[str]]) -> tuple[list[str], list[str]]:
        """The lines of `wanted` whose names the archive's .gitignore does not keep out of git as git reads
        it (`git check-ignore`: a line with leading spaces is another pattern, a later `!` line takes a
        name back; what only this clone's .git/info/exclude or the user's global excludes ignore is
        not ignored in another clone), and of those the ones a `!` line of it takes back, with that line."""
        samples = [sample for names in wanted.values() for sample in names]
        listed = "".join(f"{sample}\0" for sample in samples)
        done = git(
            self.root, "check-ignore", "--no-index", "--verbose", "--non-matching", "-z", "--stdin", input=listed
        )
        if done.returncode not in (0, 1):
            raise VerbFailed(
                ExitStatus.FAILED, f"git check-ignore failed in {shown(str(self.root))}: {shown(git_reason(done))}"
            )
        fields = done.stdout.split("\0")
        verdict = {}  # sample -> (ignored by a .gitignore of the archive, the `!` line that takes it back)
        for source, number, pattern, sample in zip(
            fields[0::4], fields[1::4], fields[2::4], fields[3::4], strict=False
        ):
            archive_file = source == GITIGNORE or (source.endswith(f"/{GITIGNORE}") and not source.startswith("/"))
            negated = archive_file and pattern.startswith("!")
            verdict[sample] = (archive_file and not negated, f"{source} line {number} ({pattern})" if negated else "")
        missing, taken_back = [], []
        for line, names in wanted.items():
            if not all(verdict.get(name, (False, ""))[0] for name in names):
                missing.append(line)
                negations = sorted({verdict[name][1] for name in names if verdict.get(name, (False, ""))[1]})
                taken_back += [f"{negation} takes back what {line} ignores" for negation in negations]
        return missing, taken_back

    def gitignore(self) -> None:
        path = self.root / GITIGNORE
        wanted = _ignored_lines()
        if not self.own(Path(GITIGNORE)):
            self.linked.add(GITIGNORE)
            self.say(
                f"{GITIGNORE}: a symbolic link: left alone, and not committed; the archive's own .gitignore "
                f"should hold the lines {', '.join(wanted)}"
            )
            return
        if not path.exists():
            header = "# Never committed: finews-crawler's locks, worker ids and writes in progress, the built site, the quarantine\n"
            self.write(GITIGNORE, header + "".join(f"{line}\n" for line in wanted))
            self.did(f"{GITIGNORE}: made ({', '.join(wanted)})")
            return
        try:
            text = file_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            self.say(
                f"{GITIGNORE}: left as it is: it cannot be read ({shown(str(exc))}); it should hold {', '.join(wanted)}"
            )
            return
        missing, taken_back = self.not_ignored(wanted)
        if not missing:
            self.say(f"{GITIGNORE}: there already, ignoring all that init's lines do")
            return
        # Changes of its own not yet committed (a person's edit): init adds its lines, but commits none of it.
        theirs = GITIGNORE in self.in_head() and git(self.root, "diff", "--quiet", "HEAD", "--", GITIGNORE).returncode
        self.write(
            GITIGNORE,
            text + ("\n" if text and not text.endswith("\n") else "") + "".join(f"{line}\n" for line in missing),
        )
        self.did(f"{GITIGNORE}: there already; added {', '.join(missing)}")
        for said in taken_back:
            self.say(
                f"{GITIGNORE}: {shown(said)}: added again at the end, where it wins (the last line that matches does)"
            )
        if theirs:
            self.kept_out.add(GITIGNORE)
            self.say(
                f"{GITIGNORE}: not committed: it held changes not yet committed (git diff HEAD -- {GITIGNORE}), which "
                "init does not commit for you: look at them, then commit the file"
            )

    def config(self, title: str | None, site_url: str) -> None:
        url, baseurl = site_parts(site_url)
        path = self.root / CONFIG
        if not self.own(Path(CONFIG)):
            self.linked.add(CONFIG)
            self.say(f"{CONFIG}: a symbolic link: left alone, and not committed")
            return
        if not os.path.lexists(path):
            title = title or DEFAULT_TITLE
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
            return
        if (there.get("url", ""), there.get("baseurl", "")) != (url, baseurl):
            self.say(
                f"{CONFIG}: its url {there.get('url')!r} and baseurl {there.get('baseurl')!r} are not those of "
                f"--site-url ({url!r}, {baseurl!r}): left as it is; edit it if the site is at --site-url"
            )
        if title is not None and there.get("title") != title:
            self.say(f"{CONFIG}: kept (its title {there.get('title')!r} differs from --title {title!r}): edit it")

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
        name = WORKFLOW.as_posix()
        original = None
        if template is not None and template.is_file():
            original = workflow_value(file_text(template), REPOSITORY_SETTING)
        if not self.own(WORKFLOW):
            self.linked.add(name)
            self.say(f"{name}: not made: a symbolic link is on its way (or is it): left alone, and not committed")
            return
        if os.path.lexists(path):
            self.say(f"{name}: there already, left as it is")
            try:
                named = workflow_value(file_text(path), REPOSITORY_SETTING)
            except (OSError, UnicodeDecodeError):
                named = None
            if named is not None and named == original:
                self.say(f"{name}: set {REPOSITORY_SETTING} in it to your copy of finews-crawler (OWNER/NAME)")
            elif repository and named is not None and named != repository:
                self.say(
                    f"{name}: it runs {shown(named)}, not {repository}: left as it is (edit {REPOSITORY_SETTING} in it)"
                )
            return
        if template is None or not template.is_file():
            self.say(
                f"{name}: not made: no workflow to copy ({shown(str(template or WORKFLOW_TEMPLATE))} is not there)"
            )
            return
        ref, why = crawler_ref(checkout)
        values = {**({REPOSITORY_SETTING: repository} if repository else {}), **({REF_SETTING: ref} if ref else {})}
        text, missing = workflow_text(file_text(template), values)
        self.write(WORKFLOW, text)
        runs = workflow_value(text, REPOSITORY_SETTING)
        self.did(
            f"{name}: made from {shown(str(template))} ({REPOSITORY_SETTING} {runs}, {REF_SETTING} "
            f"{workflow_value(text, REF_SETTING)})"
        )
        for setting in missing:
            self.say(f"{name}: the copy has no {setting} line: set it by hand")
        if ref is None:
            self.say(f"{name}: {REF_SETTING} left as the template has it: {why}")
        else:
            self.say(f"{name}: {REF_SETTING} is this checkout's commit: push it to {runs} before the workflow runs")
        if runs == original and not repository:
            self.say(
                f"{name}: set {REPOSITORY_SETTING} in it to your copy of finews-crawler (or init with --crawler-repository)"
            )

    def keep_posts_folder(self) -> None:
        """`_posts/.gitkeep` in an empty posts folder: git keeps no empty folder, and a clone without
        `_posts/` is no archive to any command."""
        posts = self.root / layout.POSTS_DIR
        if not any(posts.iterdir()):
            self.write(Path(layout.POSTS_DIR, KEEP), "")
            self.did(f"{layout.POSTS_DIR}/{KEEP}: made (git keeps the empty posts folder)")

    def commit(self) -> None:
        """One commit, by path (whatever else the index holds stays out), of init's own files that the last
        commit lacks: those it wrote now, and those there before that HEAD's tree does not hold (an init
        that stopped before its commit left them, staged or not; or a person made them); not one kept
        out (a .gitignore with a person's changes) or one the archive's .gitignore ignores."""
        head = self.in_head()
        earlier = [
            path
            for path in own_files()
            if path not in self.written
            and path not in head
            and path not in self.linked
            and self.own(Path(path))
            and (self.root / path).is_file()
        ]
        paths = [path for path in [*self.written, *earlier] if path not in self.kept_out]
        listed = "".join(f"{path}\0" for path in paths)
        ignored = git(self.root, "check-ignore", "-z", "--stdin", input=listed).stdout.split("\0")
        for path in [path for path in paths if path in ignored]:
            self.say(f"{path}: not committed: the archive's .gitignore ignores it")
            paths.remove(path)
        for path in [path for path in earlier if path in paths]:
            self.did(
                f"{path}: there already, but not in the last commit (an init that stopped before its commit left "
                "it, or it was made by hand): committed now"
            )
        if paths:
            run_git(self.root, "add", "--", *paths)
        if not paths or git(self.root, "diff", "--cached", "--quiet", "--", *paths).returncode == 0:
            self.say("commit: none (init wrote nothing git lacks)")
        else:
            identity = [] if git(self.root, "config", "user.email").stdout.strip() else IDENTITY
            message = f"finews: scrapy archive init: {', '.join(paths)}"
            run_git(self.root, *identity, "commit", "--quiet", "-m", message, "--", *paths)
            commit = run_git(self.root, "rev-parse", "--short", "HEAD").strip()
            self.did(f"commit {commit}: {message} (not pushed)")
        self._in_head = None
        left = [
            path
            for path in own_files()
            if os.path.lexists(self.root / path)
            and path not in self.in_head()
            and path not in ignored
            and path not in self.linked
        ]
        if left:
            self.say(f"not in git: {', '.join(left)}: no regular file init could commit; look at them")
