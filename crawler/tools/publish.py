"""`scrapy archive publish`: commit what crawls added or changed with git, push it to the branch's upstream.

The archive is a git work tree (the site's repository, served by GitHub Pages or a web server).
- commit: git's own `add -A` of the folders crawls and maintenance write (`_posts/`, the
  old-posts folder, `category/`, `emnews/`), which honours the archive's .gitignore, less this
  project's lock, worker-id and temp files; one commit whose message counts what it holds
  (`finews: 12 new posts (eastmoney 9, eastmoney_724 3) 2026-12-01 20:05 +0800`). Nothing
  staged: no commit.
- push: to the upstream of the checked-out branch (or the remote and branch given). When the
  remote moved on (another machine or workflow pushed), `git pull --rebase` and push again, up to
  PUSH_ATTEMPTS times with a doubling pause. Posts never conflict (one file name per article),
  and a category page added on both sides with the same text merges as one. A push that fails
  for good (refused by a hook, no network, credentials, a real conflict) raises PublishFailed
  with git's own reason; the commit stays, and the next publish pushes it.
It holds every feed's lock throughout, so no half-written run is ever committed. Options:
--no-push (commit only), --remote NAME and --branch NAME (where to push). Exit status 1: git failed in
the archive (nothing was pushed); 2: not a git work tree, no upstream; 9: the push failed for good
(the commit is kept for the next publish).
"""

import os
import re
import subprocess
import time
from argparse import Namespace
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crawler import settings as defaults
from crawler.archive import FEEDS, Archive, layout
from crawler.archive.feeds import feed_of_key
from crawler.archive.layout import post_key
from crawler.exitstatus import ExitStatus
from crawler.items import SHANGHAI
from crawler.tools.verb import Option, Verb, VerbFailed

PUSH_ATTEMPTS = 5
FIRST_PAUSE = 1.0  # seconds before the second push; doubled before each next one
OWN_FILES = [f":(exclude,glob)**/{layout.OWN_PREFIX}*"]  # locks, worker ids, temp files: never committed
# The remote moved on: another push landed first, or at the same moment (its ref was locked).
_REJECTED = re.compile(
    r"\[rejected\].*\((?:fetch first|non-fast-forward)\)|Updates were rejected because the (?:remote|tip)"
    r"|cannot lock ref|\(failed to update ref\)|\(incorrect old value provided\)"
)
# The committer when the clone has none configured (a fresh CI machine).
IDENTITY = ["-c", "user.name=finews-crawler", "-c", "user.email=finews-crawler@users.noreply.github.com"]


class PublishFailed(VerbFailed):
    """The publish could not be done: `status` is the exit status (2 usage, 9 the push failed)."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.PUSH_FAILED):
        super().__init__(status, message)


class Publish(Verb):
    name = "publish"
    summary = "commit what crawls added or changed and push it (git)"
    options = (
        Option(("--no-push",), "commit only", {"action": "store_true"}),
        Option(("--remote",), "push there (default: the branch's upstream)", {"metavar": "NAME"}),
        Option(("--branch",), "push to this branch (default: the upstream's)", {"metavar": "NAME"}),
    )
    holds_locks = True
    when_locked = "nothing was committed"

    def check(self, opts: Namespace) -> None:
        if opts.no_push and (opts.remote or opts.branch):
            raise VerbFailed(ExitStatus.USAGE, "--remote and --branch say where to push: not with --no-push")

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        old_posts_dir = archive.old_posts_dir.relative_to(archive.root).as_posix()
        try:
            done = publish(archive.root, old_posts_dir, not opts.no_push, opts.remote, opts.branch)
        except PublishFailed as exc:
            if exc.status == ExitStatus.PUSH_FAILED:
                raise PublishFailed(f"{exc}; the commit is kept for the next publish", exc.status) from None
            raise
        print(done.message or "nothing new to commit")
        if done.pushed:
            commits, attempts = "s" if done.ahead != 1 else "", "s" if done.attempts != 1 else ""
            print(f"pushed {done.ahead} commit{commits} ({done.attempts} attempt{attempts})")
        return ExitStatus.OK


@dataclass
class Published:
    """What a publish did: the commit it made (None: nothing new), and whether commits were pushed."""

    commit: str | None = None
    message: str = ""
    pushed: bool = False
    attempts: int = 0
    ahead: int = 0  # commits waiting for a push (kept by --no-push or an earlier failure)
    notes: list[str] = field(default_factory=list)


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run git in the archive; never waits for a password (cron has no terminal)."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "echo", "LC_ALL": "C"}
    process = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env)
    if check and process.returncode != 0:
        raise PublishFailed(f"git {args[0]} failed: {git_reason(process)}; nothing was pushed", ExitStatus.FAILED)
    return process


def git_reason(process: subprocess.CompletedProcess) -> str:
    """git's own reason, in one line: its `error:`/`fatal:`/`remote:` lines, else its last line."""
    lines = [line.strip() for line in (process.stderr + process.stdout).splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("error:", "fatal:", "remote:", "!", "hint: Updates"))]
    return " | ".join(said[:4]) if said else (lines[-1] if lines else f"exit status {process.returncode}")


def commit_message(changes: list[tuple[str, tuple[str, ...]]], now: datetime) -> str:
    """`finews: 12 new posts (eastmoney 9, eastmoney_724 3) 2026-12-01 20:05 +0800`, and what else changed."""
    new: dict[str, int] = {}
    other = {"moved posts": 0, "changed posts": 0, "index pages": 0, "other files": 0}
    for status, paths in changes:
        path = paths[-1]
        key = post_key(Path(path).name)
        if key is not None and status == "A":
            feed = feed_of_key(key).name
            new[feed] = new.get(feed, 0) + 1
        elif key is not None:
            other["moved posts" if status.startswith("R") else "changed posts"] += 1
        elif path.startswith(tuple(f"{feed.index_dir}/" for feed in FEEDS)):
            other["index pages"] += 1
        else:
            other["other files"] += 1
    count = sum(new.values())
    by_feed = ", ".join(f"{feed.name} {new[feed.name]}" for feed in FEEDS if new.get(feed.name))
    parts = [f"{count} new post{'s' if count != 1 else ''}" + (f" ({by_feed})" if by_feed else "")]
    parts += [f"{n} {what}" for what, n in other.items() if n]
    return f"finews: {', '.join(parts)} {now.astimezone(SHANGHAI):%Y-%m-%d %H:%M +0800}"


def upstream(root: Path, remote: str | None, branch: str | None) -> tuple[str, str]:
    """The remote and branch to push to: those given, else the checked-out branch's upstream (its
    `branch.<name>.remote` and `.merge`, which a clone of an empty remote has before any push)."""
    current = git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if not current and not (remote and branch):
        raise PublishFailed(
            "HEAD is detached (no branch is checked out): check out the archive's branch, "
            "or pass --remote and --branch",
            ExitStatus.USAGE,
        )
    configured_remote = git(root, "config", f"branch.{current}.remote", check=False).stdout.strip()
    merge = git(root, "config", f"branch.{current}.merge", check=False).stdout.strip().removeprefix("refs/heads/")
    remote, branch = remote or configured_remote or None, branch or merge or (current if remote else None)
    if remote and branch:
        return remote, branch
    raise PublishFailed(
        f"the branch {current} has no upstream: set one (git push -u origin {current}) or pass --remote and --branch",
        ExitStatus.USAGE,
    )


def publish(
    root: Path,
    old_posts_dir: str = defaults.FINEWS_OLD_POSTS_DIR,
    push: bool = True,
    remote: str | None = None,
    branch: str | None = None,
    attempts: int = PUSH_ATTEMPTS,
    pause: float = FIRST_PAUSE,
    now: datetime | None = None,
) -> Published:
    """Commit what crawls changed in the archive at `root`, then push it (see the module's text)."""
    root = Path(root).resolve()
    inside = git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise PublishFailed(
            f"{root} is not in a git work tree (git init, or clone the site's repository)", ExitStatus.USAGE
        )
    if push:
        remote, branch = upstream(root, remote, branch)
    done = Published()
    folders = [
        name
        for name in (layout.POSTS_DIR, old_posts_dir, *(feed.index_dir for feed in FEEDS))
        if (root / name).is_dir() and git(root, "check-ignore", "-q", f"{name}/", check=False).returncode
    ]
    if folders:
        git(root, "add", "-A", "--", *folders, *OWN_FILES)
    staged = git(root, "diff", "--cached", "--name-status", "-z", "--relative", "--", *folders).stdout.split("\0")
    changes = _name_status(staged)
    identity = [] if git(root, "config", "user.email", check=False).stdout.strip() else IDENTITY
    if changes:
        done.message = commit_message(changes, now or datetime.now(SHANGHAI))
        paths = "\0".join(path for _, paths in changes for path in paths) + "\0"  # a rename: both its paths
        committed = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                *identity,
                "commit",
                "--quiet",
                "--no-verify",
                "-m",
                done.message,
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
            ],
            input=paths,
            capture_output=True,
            text=True,
        )
        if committed.returncode != 0:
            raise PublishFailed(f"git commit failed: {git_reason(committed)}; nothing was committed", ExitStatus.FAILED)
        done.commit = git(root, "rev-parse", "HEAD").stdout.strip()
    if not push:
        return done
    done.ahead = _ahead(root, remote, branch)
    if done.ahead:
        _push(root, remote, branch, attempts, pause, identity, done)
    return done


def _name_status(fields: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """git's -z name-status output as (status, paths); a rename has its old and its new path."""
    changes, index = [], 0
    fields = [f for f in fields if f != ""]
    while index < len(fields):
        status = fields[index]
        width = 2 if status.startswith(("R", "C")) else 1
        changes.append((status, tuple(fields[index + 1 : index + 1 + width])))
        index += 1 + width
    return changes


def _ahead(root: Path, remote: str, branch: str) -> int:
    """Commits of HEAD the remote branch lacks, as far as this clone knows (all of them: no such ref
    yet; none: no commit at all)."""
    counted = git(root, "rev-list", "--count", f"refs/remotes/{remote}/{branch}..HEAD", check=False)
    if counted.returncode != 0:
        counted = git(root, "rev-list", "--count", "HEAD", check=False)
    return int(counted.stdout.strip()) if counted.returncode == 0 else 0


def _push(
    root: Path, remote: str, branch: str, attempts: int, pause: float, identity: list[str], done: Published
) -> None:
    for attempt in range(1, attempts + 1):
        done.attempts = attempt
        pushed = git(root, "push", "--porcelain", remote, f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            done.pushed = True
            return
        if not _REJECTED.search(pushed.stdout + pushed.stderr):
            raise PublishFailed(f"git push to {remote} {branch} failed: {git_reason(pushed)}")
        if attempt == attempts:
            break
        rebased = git(root, *identity, "pull", "--rebase", "--autostash", "--quiet", remote, branch, check=False)
        if rebased.returncode != 0:
            git(root, "rebase", "--abort", check=False)
            if "CONFLICT" in rebased.stdout + rebased.stderr:
                raise PublishFailed(
                    f"the commits here and on {remote} {branch} change the same file differently "
                    f"({git_reason(rebased)}): a person must merge them (git pull --rebase, resolve, publish)"
                )
            raise PublishFailed(f"git pull --rebase from {remote} {branch} failed: {git_reason(rebased)}")
        time.sleep(pause * 2 ** (attempt - 1))
    raise PublishFailed(f"git push to {remote} {branch}: the remote moved on {attempts} times; try again later")
