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
  remote moved on (another machine or workflow pushed), fetch it, put this clone's commits on top
  of it (integrate: git's plumbing, never a rebase in the work tree, so a stop at any moment loses
  nothing) and push again, up to PUSH_ATTEMPTS times, pausing from the second retry on. Posts
  never conflict (one file name per article), and a category page added on both sides with the
  same text is one. A push that fails for good (refused by a hook, no network, credentials, a real
  conflict) raises PublishFailed with git's own reason; the commit stays, and the next publish
  pushes it.
No git hook runs (NO_HOOKS), and no credential prompt is answered (QUIET). It holds every feed's
lock while it commits, so no half-written run is ever committed, and lets them go before it pushes. Options:
--no-push (commit only), --remote NAME and --branch NAME (where to push). Exit status 1: git failed in
the archive (nothing was pushed); 2: not a git work tree, no upstream, --no-push on a detached HEAD,
a person's rebase or merge in progress; 3: a crawl holds a feed's lock, or another publish runs in
the clone (nothing was committed); 7: stopped by SIGTERM (what was committed stays); 9: the push
failed for good (the commit is kept for the next publish).
"""

import fcntl
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crawler import settings as defaults
from crawler.archive import FEEDS, Archive, every_feed_locked, layout
from crawler.archive.feeds import feed_of_key
from crawler.archive.layout import post_key
from crawler.exitstatus import ExitStatus
from crawler.items import SHANGHAI
from crawler.tools.verb import Option, Verb, VerbFailed

PUSH_ATTEMPTS = 5
PUBLISH_LOCK = "finews-publish.lock"  # in the repository's git folder: one publish at a time
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
    when_locked = "nothing was committed"  # every feed's lock is held while it commits (publish(hold=...))

    def check(self, opts: Namespace) -> None:
        if opts.no_push and (opts.remote or opts.branch):
            raise VerbFailed(ExitStatus.USAGE, "--remote and --branch say where to push: not with --no-push")

    def run(self, archive: Archive, settings: Mapping, opts: Namespace) -> ExitStatus:
        old_posts_dir = archive.old_posts_dir.relative_to(archive.root).as_posix()

        def stopped(signum: int, frame: object) -> None:  # every step before this one is kept (integrate)
            raise PublishFailed(
                f"stopped by signal {signum}: what was committed stays, and the next publish pushes it",
                ExitStatus.STOPPED_EARLY,
            )

        previous = signal.signal(signal.SIGTERM, stopped)
        try:
            done = publish(
                archive.root,
                old_posts_dir,
                not opts.no_push,
                opts.remote,
                opts.branch,
                hold=lambda: every_feed_locked(settings),
            )
        except PublishFailed as exc:
            if exc.status == ExitStatus.PUSH_FAILED:
                raise PublishFailed(f"{exc}; the commit is kept for the next publish", exc.status) from None
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
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
    env = {**_scrubbed(os.environ), **QUIET, **(env or {})}
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


# What would point git at another repository than the archive's (a caller's environment); a publish
# sets GIT_INDEX_FILE itself where it builds a commit in an index of its own.
REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


def _scrubbed(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` without REPOSITORY_VARIABLES: git finds the repository from the archive's folder."""
    return {name: value for name, value in environment.items() if name not in REPOSITORY_VARIABLES}


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
    hold: Callable[[], AbstractContextManager] = nullcontext,
) -> Published:
    """Commit what crawls changed in the archive at `root`, then push it (see the module's text). The
    commit is made under `hold()` (every feed's lock: no half-written run is committed); the push,
    which waits on the network, is not, so crawls are kept waiting only while the commit is made."""
    root = Path(root).resolve()
    inside = git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise PublishFailed(
            f"{root} is not in a git work tree (git init, or clone the site's repository)", ExitStatus.USAGE
        )
    with _one_publish_at_a_time(root):
        return _publish(root, old_posts_dir, push, remote, branch, attempts, pause, now, hold)


@contextmanager
def _one_publish_at_a_time(root: Path) -> Iterator[None]:
    """An flock on PUBLISH_LOCK in the repository's git folder (never in the work tree, so never
    committed or published) for the whole publish: a second publish in the same clone exits 3."""
    git_dir = git(root, "rev-parse", "--absolute-git-dir").stdout.strip()
    fd = os.open(os.path.join(git_dir, PUBLISH_LOCK), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishFailed(
                "another publish or init is running in this archive: nothing was committed", ExitStatus.LOCKED
            ) from None
        yield
    finally:
        os.close(fd)


def _publish(
    root: Path,
    old_posts_dir: str,
    push: bool,
    remote: str | None,
    branch: str | None,
    attempts: int,
    pause: float,
    now: datetime | None,
    hold: Callable[[], AbstractContextManager],
) -> Published:
    done = Published()
    with hold():
        finish_interrupted(root)
        if push:
            remote, branch = upstream(root, remote, branch)
        elif git(root, "symbolic-ref", "--quiet", "HEAD", check=False).returncode != 0:
            raise PublishFailed(
                "HEAD is detached (no branch is checked out): a commit here would be on no branch; "
                "check out the archive's branch",
                ExitStatus.USAGE,
            )
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
        archive_folders = [layout.POSTS_DIR, old_posts_dir, *(feed.index_dir for feed in FEEDS)]
        _push(root, remote, branch, attempts, pause, identity, done, archive_folders)
    return done


def finish_interrupted(root: Path) -> None:
    """A publish never rebases or merges in the work tree (integrate). A rebase in progress there of
    publish commits only is what an older publish's `pull --rebase` left when it was stopped, with its
    newest posts off the disk: it is undone, which puts the branch, its commits and every post back
    (a post a crawl wrote again meanwhile gives way to the committed one: the same article); the push
    that follows integrates again. Any other rebase, merge, cherry-pick or revert in progress is a
    person's: PublishFailed (exit 2), nothing touched."""
    for state, what in (
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ):
        path = root / git(root, "rev-parse", "--git-path", state).stdout.strip()
        if not path.exists():
            continue
        if state != "rebase-merge" or not _rebasing_publish_commits(root, path):
            raise PublishFailed(
                f"a git {what} is in progress in the archive, not one of publish's: finish or abort it "
                f"(git status; git {what} --continue or --abort), then publish",
                ExitStatus.USAGE,
            )
        orig_head = (path / "orig-head").read_text(encoding="ascii").strip()
        in_the_way = set(git(root, "ls-files", "-z", "--others", "--exclude-standard").stdout.split("\0")) - {""}
        if in_the_way:
            committed = set(git(root, "ls-tree", "-r", "-z", "--name-only", orig_head).stdout.split("\0"))
            taken = sorted(in_the_way & committed)
            if taken:
                git(root, "update-index", "--add", "-z", "--stdin", input="\0".join(taken) + "\0")
        aborted = git(root, "rebase", "--abort", check=False)
        if aborted.returncode != 0:
            raise PublishFailed(
                f"the archive is in the middle of a git rebase that cannot be undone "
                f"({git_reason(aborted)}): a person must finish it (git status)",
                ExitStatus.FAILED,
            )
        print("an interrupted git rebase of publish was undone: every post is back on disk", file=sys.stderr)


def _rebasing_publish_commits(root: Path, state: Path) -> bool:
    """Whether the rebase whose state folder is `state` moves a branch's commits that are all publish's
    (their messages start `finews: `)."""
    try:
        head_name = (state / "head-name").read_text(encoding="utf-8").strip()
        orig_head = (state / "orig-head").read_text(encoding="ascii").strip()
        onto = (state / "onto").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    subjects = git(root, "log", "--format=%s", orig_head, f"^{onto}", check=False)
    return (
        head_name.startswith("refs/heads/")
        and subjects.returncode == 0
        and all(line.startswith("finews: ") for line in subjects.stdout.splitlines())
    )


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
    env = {**_scrubbed(os.environ), **QUIET}
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
    root: Path,
    remote: str,
    branch: str,
    attempts: int,
    pause: float,
    identity: list[str],
    done: Published,
    folders: list[str],
) -> None:
    """Push HEAD; when the remote moved on, fetch it, put this clone's commits on top of it (integrate)
    and push again: at once the first time, then after a pause that doubles."""
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
        if attempt > 1:
            time.sleep(pause * 2 ** (attempt - 2))
        fetched = git(root, "fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}", check=False)
        if fetched.returncode != 0:
            raise PublishFailed(f"git fetch from {remote} {branch} failed: {git_reason(fetched)}")
        theirs = git(root, "rev-parse", "--verify", "FETCH_HEAD^{commit}").stdout.strip()
        done.ahead = integrate(root, theirs, identity, f"{remote} {branch}", folders)
        if not done.ahead:
            return
    raise PublishFailed(f"git push to {remote} {branch}: the remote moved on {attempts} times; try again later")


def integrate(root: Path, theirs: str, identity: list[str], where: str, folders: list[str]) -> int:
    """Put the commits of HEAD that `theirs` lacks on top of it, as `git pull --rebase` would, but with
    git's plumbing: no rebase is ever in progress, so a stop at any moment leaves a branch, its
    commits and every post on disk. The work tree takes what `theirs` brought (before HEAD moves:
    a stop in between leaves those files as changes the next publish commits, the same as theirs),
    then HEAD moves (compared with its old value), then the index. Returns how many commits of HEAD
    `theirs` lacks now; PublishFailed (the push failed) when both sides changed a file differently, or
    the histories share no commit, or theirs brings what an archive's folder must not hold."""
    head = git(root, "rev-parse", "--verify", "HEAD^{commit}").stdout.strip()
    if git(root, "merge-base", "--is-ancestor", theirs, head, check=False).returncode == 0:
        new = head  # theirs is already in HEAD (the push lost a race for the ref): push again
    elif git(root, "merge-base", "--is-ancestor", head, theirs, check=False).returncode == 0:
        new = theirs  # nothing here theirs lacks: take it
    else:
        commits = git(root, "rev-list", "--reverse", "--first-parent", head, f"^{theirs}").stdout.split()
        rootless = [c for c in commits if git(root, "rev-parse", "-q", "--verify", f"{c}^", check=False).returncode]
        if rootless or git(root, "merge-base", head, theirs, check=False).returncode != 0:
            raise PublishFailed(
                f"the history here and on {where} share no commit (one was rewritten, or a shallow clone does "
                "not reach back far enough): a person must merge them (git fetch --unshallow; git pull --rebase)"
            )
        new = theirs
        for commit in commits:
            new = _replay(root, commit, new, identity, where)
    if new != head:
        _move_head(root, head, new, where, folders)
    return int(git(root, "rev-list", "--count", new, f"^{theirs}").stdout.strip())


def _replay(root: Path, commit: str, onto: str, identity: list[str], where: str) -> str:
    """`commit`'s changes (against its first parent), file by file, on top of `onto`: a file theirs left
    as it was takes the change, a file theirs changed the same way stays; anything else is a
    conflict for a person. The new commit keeps the author, the date and the message."""
    parent = f"{commit}^"
    changes = _raw_changes(root, parent, commit)
    with tempfile.TemporaryDirectory(prefix="finews-publish-") as temp:
        own = {"GIT_INDEX_FILE": str(Path(temp) / "index")}
        read = git(root, "read-tree", onto, env=own, check=False)
        if read.returncode != 0:
            raise PublishFailed(f"{where} holds what git refuses to check out ({git_reason(read)}): fix it there")
        have = _entries(git(root, "ls-files", "--stage", "-z", env=own).stdout)
        folders = {path[:cut] for path in have for cut in _slashes(path)}  # every folder theirs holds
        lines, conflicts = [], []
        for path, was, want in changes:
            now = have.get(path)
            if want and (path in folders or any(path[:cut] in have for cut in _slashes(path))):
                conflicts.append(path)  # a file here where theirs has a folder, or under a file of theirs
            elif now == was:
                lines.append(f"{want[0]} {want[1]}\t{path}" if want else f"0 {'0' * len(was[1])}\t{path}")
            elif now != want:
                conflicts.append(path)
        if conflicts:
            raise PublishFailed(
                f"the commits here and on {where} change the same file differently (such as "
                f"{shown(conflicts[0])}): a person must merge them (git pull --rebase, resolve, publish)"
            )
        if not lines:  # theirs holds every change already (two machines wrote the same post): no commit
            return onto
        git(root, "update-index", "-z", "--index-info", env=own, input="\0".join(lines) + "\0")
        tree = git(root, "write-tree", env=own).stdout.strip()
    raw = git(root, "cat-file", "commit", commit).stdout
    headers, _, message = raw.partition("\n\n")
    author = next(line for line in headers.splitlines() if line.startswith("author "))
    name, _, rest = author.removeprefix("author ").rpartition(" <")
    email, _, when = rest.partition("> ")
    by = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when}
    return git(root, *identity, "commit-tree", tree, "-p", onto, "-F", "-", env=by, input=message).stdout.strip()


def _raw_changes(root: Path, old: str, new: str) -> list[tuple[str, tuple[str, str] | None, tuple[str, str] | None]]:
    """What changed from tree-ish `old` to `new`, file by file: (path, (mode, object) before or None,
    (mode, object) after or None)."""
    fields = git(root, "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new).stdout.split("\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, old_id, new_id, _ = meta[1:].split(" ")
        changes.append(
            (
                path,
                None if old_mode == "000000" else (old_mode, old_id),
                None if new_mode == "000000" else (new_mode, new_id),
            )
        )
    return changes


def _entries(listing: str) -> dict[str, tuple[str, str]]:
    """`ls-files --stage -z` output as path -> (mode, object)."""
    entries = {}
    for entry in listing.split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            mode, object_id, _ = meta.split(" ")
            entries[path] = (mode, object_id)
    return entries


def _move_head(root: Path, head: str, new: str, where: str, folders: list[str]) -> None:
    """The work tree and the index from `head` to `new` (git's read-tree two-way merge, which writes
    files as a checkout does and refuses when a change here is in the way), then HEAD to `new`. A file
    that already is as `new` has it (a publish stopped here before, a crawl that wrote the same post)
    is first taken into the index as such, so it is never in the way. Refused (nothing written): a
    file git does not track here (an ignored one too, such as a lock, `_site/` or `_posts/.env`) where
    `new` puts another, and a symbolic link or a repository in or at an archive folder (a post is a
    file, a folder of the archive its own)."""
    changes = _raw_changes(root, head, new)
    index = _entries(git(root, "ls-files", "--stage", "-z").stdout)
    linked = [
        path for path, _, want in changes if want and want[0] in ("120000", "160000") and path.split("/")[0] in folders
    ]
    if linked:
        raise PublishFailed(
            f"{where} brings a symbolic link or a repository into the archive's folders ({shown(linked[0])}): "
            "a post is a file; a person must remove it there"
        )
    ready, untracked = [], []
    for path, _, want in changes:
        if not want or index.get(path) == want:
            continue
        if _blob_on_disk(root, path, want):
            ready.append(f"{want[0]} {want[1]}\t{path}")
        elif path not in index and _on_disk(root, path):
            untracked.append(path)
    if untracked:
        raise PublishFailed(
            f"{where} brings {shown(untracked[0])}, which is a file here git does not track (or ignores): "
            "move it aside, then publish"
        )
    if ready:
        git(root, "update-index", "-z", "--index-info", input="\0".join(ready) + "\0")
    moved = git(root, "read-tree", "-m", "-u", head, new, check=False)
    if moved.returncode != 0:
        reason = git_reason(moved)
        if "index.lock" in reason:
            raise PublishFailed(
                "git's index is locked (.git/index.lock): if no git runs in the archive, remove that file"
            )
        raise PublishFailed(
            f"the files {where} brought cannot be written here ({reason}): commit or undo the change "
            "in the way (git status); nothing was lost, the next publish tries again"
        )
    git(root, "update-ref", "-m", "finews publish: on top of the remote", "HEAD", new, head)


def _slashes(path: str) -> list[int]:
    """Where each folder of `path` ends: path[:cut] is each of its folders."""
    return [cut for cut, char in enumerate(path) if char == "/"]


def _on_disk(root: Path, path: str) -> bool:
    """Whether anything (a file, a link, a folder) is at `path` in the work tree, or a file where one of
    its folders would be."""
    full = os.path.join(os.fsencode(root), path.encode("utf-8", "surrogateescape"))
    if os.path.lexists(full):
        return True
    parts = path.split("/")
    return any(
        os.path.lexists(
            prefix := os.path.join(os.fsencode(root), "/".join(parts[:n]).encode("utf-8", "surrogateescape"))
        )
        and not os.path.isdir(prefix)
        for n in range(1, len(parts))
    )


def _blob_on_disk(root: Path, path: str, want: tuple[str, str]) -> bool:
    """Whether the work tree holds `path` as the regular file of object `want` (mode and bytes)."""
    full = os.path.join(os.fsencode(root), path.encode("utf-8", "surrogateescape"))
    try:
        if want[0] not in ("100644", "100755") or os.path.islink(full) or not os.path.isfile(full):
            return False
        with open(full, "rb") as file:
            data = file.read()
    except OSError:
        return False
    algorithm = hashlib.sha256 if len(want[1]) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest() == want[1]
