"""`scrapy archive publish`: commit what crawls added or changed with git, push it to the branch's upstream.

The archive is a git work tree (the site's repository, served by GitHub Pages or a web server).
- commit: what changed in the folders crawls and maintenance write (`_posts/`, the old-posts
  folder, `category/`, `emnews/`) as git's status sees it (honouring the archive's .gitignore), of
  that only archive content (is_content: posts, index pages; the rest, such as `_posts/.env` or an
  editor's swap file, is named once on stderr and left on disk), in one commit made with git's
  plumbing in an index of its own (commit_only: linear in the files, and nothing else the archive's
  index holds); its message counts what it holds
  (`finews: 12 new posts (eastmoney 9, eastmoney_724 3) 2026-12-01 20:05 +0800`). Nothing new: no
  commit. `--no-push` on a detached HEAD is refused (the commit would be on no branch).
- push: to the upstream of the checked-out branch (or the remote and branch given). When the
  remote moved on (another machine or workflow pushed), `git pull --rebase` and push again, up to
  PUSH_ATTEMPTS times with a doubling pause. Posts never conflict (one file name per article),
  and a category page added on both sides with the same text merges as one. A push that fails
  for good (refused by a hook, no network, credentials, a real conflict) raises PublishFailed
  with git's own reason; the commit stays, and the next publish pushes it.
No git hook runs (NO_HOOKS), and no credential prompt is answered (QUIET). It holds every feed's
lock throughout, so no half-written run is ever committed. Options:
--no-push (commit only), --remote NAME and --branch NAME (where to push). Exit status 1: git failed in
the archive (nothing was pushed); 2: not a git work tree, no upstream, --no-push on a detached HEAD;
9: the push failed for good
(the commit is kept for the next publish).
"""

import os
import re
import subprocess
import sys
import tempfile
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
# The remote moved on: another push landed first, or at the same moment (its ref was locked).
_REJECTED = re.compile(
    r"\[rejected\].*\((?:fetch first|non-fast-forward)\)|Updates were rejected because the (?:remote|tip)"
    r"|cannot lock ref|\(failed to update ref\)|\(incorrect old value provided\)"
)
# Hooks are for people at a terminal (linters, prompts, tools a cron machine lacks): a publish runs
# none, the same for every git command it runs (commit, rebase, push). A server's own hooks still
# refuse a push, and their `remote:` lines are the reason shown.
NO_HOOKS = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"]  # fsmonitor: a program git runs
# No prompt, and no made-up answer to one: `false` as the askpass program fails at once.
QUIET = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "false",
    "SSH_ASKPASS": "false",
    "GCM_INTERACTIVE": "never",
    "LC_ALL": "C",
}
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
        for note in done.notes:
            print(note, file=sys.stderr)
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


def git(
    root: Path, *args: str, check: bool = True, env: Mapping[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run git in the archive: no hook of any kind (NO_HOOKS), never a prompt for a password, nor an
    answer made up for one (cron has no terminal: a push that needs credentials it lacks fails at once)."""
    env = {**os.environ, **QUIET, **(env or {})}
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")  # ssh asks no passphrase either
    ran = subprocess.run(
        ["git", *NO_HOOKS, "-C", str(root), *args],
        capture_output=True,
        env=env,
        input=None if input is None else input.encode("utf-8", "surrogateescape"),
    )
    process = subprocess.CompletedProcess(ran.args, ran.returncode, _text(ran.stdout), _text(ran.stderr))
    if check and process.returncode != 0:
        raise PublishFailed(f"git {args[0]} failed: {git_reason(process)}; nothing was pushed", ExitStatus.FAILED)
    return process


def _text(data: bytes) -> str:
    """git's output as text, byte for byte: a file name that is no UTF-8 round-trips (surrogateescape),
    a carriage return stays one (no newline translation)."""
    return data.decode("utf-8", "surrogateescape")


def shown(path: str) -> str:
    """A path on one line of a message: bytes no text is shown replaced, control characters escaped."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return ascii(text)[1:-1] if any(ord(c) < 32 or ord(c) == 127 for c in text) else text


def git_reason(process: subprocess.CompletedProcess) -> str:
    """git's own reason, in one line: its `error:`/`fatal:`/`remote:` lines, else its last line."""
    lines = [line.strip() for line in (process.stderr + process.stdout).splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("error:", "fatal:", "remote:", "!", "hint: Updates"))]
    return " | ".join(said[:4]) if said else (lines[-1] if lines else f"exit status {process.returncode}")


def commit_message(changes: list[tuple[str, tuple[str, ...]]], now: datetime) -> str:
    """`finews: 12 new posts (eastmoney 9, eastmoney_724 3) 2026-12-01 20:05 +0800`, and what else changed."""
    new: dict[str, int] = {}
    other = {"moved posts": 0, "changed posts": 0, "removed posts": 0, "index pages": 0, "other files": 0}
    for status, paths in changes:
        path = paths[-1]
        key = post_key(Path(path).name)
        if key is not None and status == "A":
            feed = feed_of_key(key).name
            new[feed] = new.get(feed, 0) + 1
        elif key is not None:
            other[
                "moved posts" if status.startswith("R") else "removed posts" if status == "D" else "changed posts"
            ] += 1
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
    finish_interrupted(root)
    if push:
        remote, branch = upstream(root, remote, branch)
    elif git(root, "symbolic-ref", "--quiet", "HEAD", check=False).returncode != 0:
        raise PublishFailed(
            "HEAD is detached (no branch is checked out): a commit here would be on no branch; "
            "check out the archive's branch",
            ExitStatus.USAGE,
        )
    done = Published()
    folders = [
        name
        for name in (layout.POSTS_DIR, old_posts_dir, *(feed.index_dir for feed in FEEDS))
        if (root / name).is_dir() and git(root, "check-ignore", "-q", f"{name}/", check=False).returncode
    ]
    paths, others = changed_content(root, folders, old_posts_dir) if folders else ([], [])
    if others:
        done.notes.append(
            f"left out of the commit: {len(others)} file{'s' if len(others) != 1 else ''} in the archive's folders "
            f"that {'are' if len(others) != 1 else 'is'} no post or index page (such as {shown(others[0])}): "
            "name them in .gitignore"
        )
    identity = [] if git(root, "config", "user.email", check=False).stdout.strip() else IDENTITY
    if paths:
        made = commit_only(root, paths, identity, now or datetime.now(SHANGHAI))
        if made is not None:
            done.commit, done.message = made
    if not push:
        return done
    done.ahead = _ahead(root, remote, branch)
    if done.ahead:
        _push(root, remote, branch, attempts, pause, identity, done)
    return done


def finish_interrupted(root: Path) -> None:
    """A publish stopped during its `pull --rebase` (a signal, a cancelled job) leaves the archive
    mid-rebase on a detached HEAD, its newest commit's posts off the work tree: the rebase is
    aborted, which puts the branch, its commits and every post back; the push that follows rebases
    again. A merge left midway likewise. Anything else in the way is git's to report."""
    for state, command in (("rebase-merge", "rebase"), ("rebase-apply", "rebase"), ("MERGE_HEAD", "merge")):
        path = git(root, "rev-parse", "--git-path", state).stdout.strip()
        if (root / path).exists():
            aborted = git(root, command, "--abort", check=False)
            if aborted.returncode != 0:
                raise PublishFailed(
                    f"the archive is in the middle of a git {command} that cannot be undone "
                    f"({git_reason(aborted)}): a person must finish it (git status)",
                    ExitStatus.FAILED,
                )
            print(f"an interrupted git {command} was undone: every post is back on disk", file=sys.stderr)


def is_content(path: str, old_posts_dir: str) -> bool:
    """Whether a changed file of the committed folders is archive content: a post (a post's name, in a
    posts folder) or an index page (an .html or .md file at the top of a feed's index folder)."""
    parts = path.split("/")
    if layout.is_own_file(parts[-1]):
        return False
    if parts[0] in (layout.POSTS_DIR, old_posts_dir):
        return post_key(parts[-1]) is not None
    return len(parts) == 2 and parts[-1].endswith((".html", ".md"))


def changed_content(root: Path, folders: list[str], old_posts_dir: str) -> tuple[list[str], list[str]]:
    """The files of `folders` that changed, were added or were removed since HEAD (git's status, which
    honours .gitignore): those that are archive content, and the others (never committed)."""
    status = git(
        root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", *folders
    ).stdout.split("\0")
    paths = [entry[3:] for entry in status if len(entry) > 3]
    content = [path for path in paths if is_content(path, old_posts_dir)]
    return content, sorted(set(paths) - set(content))


def commit_only(root: Path, paths: list[str], identity: list[str], now: datetime) -> tuple[str, str] | None:
    """One commit of HEAD's tree with `paths` as they are in the work tree (removed when gone), and
    nothing else, whatever else the index holds: built in an index of its own (git's plumbing, linear
    in the paths: a pathspec per file is quadratic), then the archive's index brought to the same
    paths. Returns the commit and its message; None when the tree did not change."""
    listed = "\0".join(paths) + "\0"
    head = git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).stdout.strip()
    _pack_files(root, paths)
    with tempfile.TemporaryDirectory(prefix="finews-publish-") as temp:
        own = {"GIT_INDEX_FILE": str(Path(temp) / "index")}
        if head:
            git(root, "read-tree", head, env=own)
        git(root, "update-index", "--add", "--remove", "-z", "--stdin", env=own, input=listed)
        staged = git(root, "ls-files", "--stage", "-z", env=own).stdout.split("\0")
        chosen = set(paths)
        links = [entry.split("\t", 1)[1] for entry in staged if entry[:6] in ("120000", "160000")]
        links = [path for path in links if path in chosen]  # a link or a repository where a post goes
        if links:
            git(root, "update-index", "--force-remove", "-z", "--stdin", env=own, input="\0".join(links) + "\0")
            what = f"{len(links)} symbolic links or repositories in the archive's folders"
            print(f"left out of the commit: {what} (such as {shown(links[0])}): a post is a file", file=sys.stderr)
            listed = "\0".join(path for path in paths if path not in set(links)) + "\0"
        tree = git(root, "write-tree", env=own).stdout.strip()
    empty = git(root, "hash-object", "-t", "tree", "--stdin", input="").stdout.strip()  # the tree of nothing
    before = git(root, "rev-parse", f"{head}^{{tree}}").stdout.strip() if head else empty
    if tree == before:  # nothing new; the index brought to the files anyway (a publish killed before it did)
        _refresh_index(root, listed)
        return None
    changes = _name_status(
        git(
            root, "diff-tree", "-r", "-z", "--find-renames=100%", "--name-status", "--no-commit-id", before, tree
        ).stdout.split("\0")
    )
    message = commit_message(changes, now)
    parents = ["-p", head] if head else []
    commit = git(root, *identity, "commit-tree", tree, *parents, "-m", message).stdout.strip()
    git(root, "update-ref", "-m", f"finews publish: {message}", "HEAD", commit, *([head] if head else []))
    _refresh_index(root, listed)
    return commit, message


def _pack_files(root: Path, paths: list[str]) -> None:
    """The bytes of the regular files of `paths` stored in git in one pack (`git fast-import` of blobs
    only), so `update-index` then finds every object there and writes none: one loose object per file
    costs a file each, and more as git's object folders fill (60,000 posts: 13 s against 3 s)."""
    env = {**os.environ, **QUIET}
    command = ["git", *NO_HOOKS, "-C", str(root), "fast-import", "--quiet"]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        try:
            for path in paths:
                full = os.path.join(os.fsencode(root), path.encode("utf-8", "surrogateescape"))
                if os.path.isfile(full) and not os.path.islink(full):
                    with open(full, "rb") as file:
                        data = file.read()
                    process.stdin.write(b"blob\ndata %d\n%s\n" % (len(data), data))
            process.stdin.close()
        except BrokenPipeError:  # fast-import stopped: its own line below
            pass
        errors = process.stderr.read().decode("utf-8", "replace")
        if process.wait() != 0:
            reason = git_reason(subprocess.CompletedProcess(command, process.returncode, "", errors))
            raise PublishFailed(f"git fast-import failed: {reason}; nothing was committed", ExitStatus.FAILED)


def _refresh_index(root: Path, listed: str) -> None:
    """The archive's index brought to the committed files; when git cannot (an index.lock a killed git
    left), one line says so and the publish goes on: the commit is made, and the push carries it."""
    refreshed = git(root, "update-index", "--add", "--remove", "-z", "--stdin", input=listed, check=False)
    if refreshed.returncode != 0:
        print(
            f"the archive's git index was not brought up to date ({git_reason(refreshed)}); the commit is "
            "made: if no git runs there, remove .git/index.lock",
            file=sys.stderr,
        )


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
