"""`scrapy archive publish` with real git and a local bare remote: the run's posts in one commit, pushed.

Each test makes a bare repository (the site's remote) and clones of it (work trees of machines
or workflows that crawl into them), as the archive the old scripts left is: a git repository.
"""

import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crawler.archive.render import render_category_page
from fixtures.testing import scrapy_command, serve
from tests.conftest import REPO, need_tool
from tests.crawl import scrapy_crawl, start_crawl

pytestmark = pytest.mark.slow  # real git and `scrapy archive publish` processes


def git(where: Path, *args: str) -> str:
    process = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    return process.stdout.strip()


@pytest.fixture
def remote(tmp_path):
    """A bare remote holding one commit (the archive's start), and a function that clones it."""
    need_tool("git")
    return new_remote(tmp_path)


def new_remote(tmp_path: Path):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(bare), str(seed))
    (seed / "_config.yml").write_text("title: archive\n")
    (seed / ".gitignore").write_text("_site/\n")
    (seed / "_posts").mkdir()
    (seed / "_posts" / ".gitkeep").write_text("")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "start")
    git(seed, "push", "--quiet", "origin", "main")

    def clone(name: str) -> Path:
        work = tmp_path / name
        git(tmp_path, "clone", "--quiet", str(bare), str(work))
        git(work, "config", "user.name", name)
        git(work, "config", "user.email", f"{name}@example.com")
        return work

    return bare, clone


def publish(work: Path, *options: str, status: int | None = 0) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", "publish", *options, settings={"FINEWS_ARCHIVE_DIR": work})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert status is None or process.returncode == status, process.stdout + process.stderr[-3000:]
    return process


def write_post(work: Path, key: str, day: str = "2026-12-01", slug: str = "zhengquanshibaowang") -> Path:
    post = work / "_posts" / f"{day}-{key}.md"
    post.parent.mkdir(parents=True, exist_ok=True)
    post.write_text(f'---\nlayout: post\ntitle: "{key}"\ndate: {day} 10:00:00 +0800\ncategories: {slug}\n'
                    "tags: 证券时报网新闻\n---\n<p>正文</p>", encoding="utf-8")  # fmt: skip
    page = work / "category" / f"{slug}.html"
    page.parent.mkdir(exist_ok=True)
    if not page.exists():
        page.write_text(render_category_page("证券时报网", slug), encoding="utf-8")
    return post


def remote_files(bare: Path) -> list[str]:
    return git(bare, "ls-tree", "-r", "--name-only", "main").splitlines()


def test_a_publish_lands_the_runs_posts_in_one_commit(remote):
    bare, clone = remote
    work = clone("machine1")
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, work, "categories=cgnjj")
        scrapy_crawl(base_url, work, spider="eastmoney_724")
    finally:
        server.shutdown()
    posts = sorted(str(p.relative_to(work)) for p in (work / "_posts").glob("*.md"))
    process = publish(work)
    message = git(bare, "log", "-1", "--format=%s", "main")
    assert message == process.stdout.splitlines()[0]
    new = {"eastmoney": sum(p.split("-")[-1].startswith("NW") for p in posts)}
    new["eastmoney_724"] = len(posts) - new["eastmoney"]
    assert message.startswith(f"finews: {len(posts)} new posts (eastmoney {new['eastmoney']}, "
                              f"eastmoney_724 {new['eastmoney_724']}), ")  # fmt: skip
    assert message.endswith(" +0800") and "index pages" in message
    assert git(bare, "rev-list", "--count", "main") == "2"  # the start, and this one commit
    files = remote_files(bare)
    assert set(posts) <= set(files) and "emnews/index.html" in files
    assert not [f for f in files if ".finews" in f]  # no lock, worker id or temp file


def test_nothing_new_makes_no_commit(remote):
    bare, clone = remote
    work = clone("machine1")
    assert publish(work).stdout.strip() == "nothing new to commit"
    assert git(bare, "rev-list", "--count", "main") == "1"


def test_locks_temp_files_and_the_built_site_are_never_committed(remote):
    bare, clone = remote
    work = clone("machine1")
    write_post(work, "NW202612010000000001")
    (work / ".finews.eastmoney.lock").write_text("done\n")
    (work / ".finews.eastmoney.worker").write_text("0123456789abcdef\n")
    (work / "_posts" / ".finews-eastmoney-x1.tmp").write_text("half a post")
    (work / "category" / ".finews-eastmoney-x2.tmp").write_text("half a page")
    (work / "_site").mkdir()
    (work / "_site" / "index.html").write_text("built")
    publish(work)
    assert sorted(remote_files(bare)) == [".gitignore", "_config.yml", "_posts/.gitkeep",
                                          "_posts/2026-12-01-NW202612010000000001.md",
                                          "category/zhengquanshibaowang.html"]  # fmt: skip


def test_two_machines_publishing_at_once_both_land_in_a_linear_history(remote):
    bare, clone = remote
    works = [clone("machine1"), clone("machine2")]
    for number, work in enumerate(works):
        for post in range(3):
            write_post(work, f"NW2026120100000{number}{post:04d}")  # the same category page on both
    outcomes = []
    threads = [threading.Thread(target=lambda w=work: outcomes.append(publish(w, status=None))) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [process.returncode for process in outcomes] == [0, 0], [process.stderr[-500:] for process in outcomes]
    files = remote_files(bare)
    assert (
        len([f for f in files if f.startswith("_posts/NW") or f.startswith("_posts/2")]) == 6
        and "category/zhengquanshibaowang.html" in files
    )
    assert git(bare, "rev-list", "--count", "--merges", "main") == "0"  # linear
    assert git(bare, "rev-list", "--count", "main") == "3"


def test_a_refused_push_keeps_the_commit_for_the_next_publish(remote):
    bare, clone = remote
    work = clone("machine1")
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed for maintenance' >&2\nexit 1\n")
    hook.chmod(0o755)
    write_post(work, "NW202612010000000001")
    refused = publish(work, status=9)
    line = refused.stderr.strip().splitlines()[-1]
    assert line.startswith("scrapy archive: git push to origin main failed:")
    assert "pushes are closed for maintenance" in line and "the commit is kept" in line
    assert git(work, "log", "-1", "--format=%s").startswith("finews: 1 new post (eastmoney 1)")
    assert git(bare, "rev-list", "--count", "main") == "1"
    hook.unlink()
    delivered = publish(work)
    assert "nothing new to commit" in delivered.stdout and "pushed 1 commit" in delivered.stdout
    assert "_posts/2026-12-01-NW202612010000000001.md" in remote_files(bare)


def test_no_push_commits_only_and_a_remote_can_be_named(remote, tmp_path):
    bare, clone = remote
    work = clone("machine1")
    write_post(work, "NW202612010000000001")
    publish(work, "--no-push")
    assert git(bare, "rev-list", "--count", "main") == "1" and git(work, "rev-list", "--count", "HEAD") == "2"
    other = tmp_path / "mirror.git"
    git(tmp_path, "init", "--quiet", "--bare", str(other))
    git(work, "remote", "add", "mirror", str(other))
    publish(work, "--remote", "mirror", "--branch", "archive")
    assert "_posts/2026-12-01-NW202612010000000001.md" in git(other, "ls-tree", "-r", "--name-only", "archive")


def test_not_a_git_work_tree_is_a_usage_error(tmp_path):
    need_tool("git")
    write_post(tmp_path / "archive", "NW202612010000000001")
    process = publish(tmp_path / "archive", status=2)
    assert "is not in a git work tree" in process.stderr


def test_a_publish_during_a_crawl_commits_nothing_and_exits_3(remote):
    bare, clone = remote
    work = clone("machine1")
    server, base_url = serve(faults={r"/a/\d+\.html": ["delay:0.3*"]})
    try:
        crawl = start_crawl(base_url, work, "categories=cgnjj")
        lock = work / ".finews.eastmoney.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().startswith("running")):
            assert time.monotonic() < deadline and crawl.poll() is None
            time.sleep(0.05)
        process = publish(work, status=3)
        assert "nothing was committed" in process.stderr
        assert git(work, "rev-list", "--count", "HEAD") == "1"
        assert crawl.wait(timeout=120) == 0
    finally:
        server.shutdown()
    publish(work)
    assert git(bare, "rev-list", "--count", "main") == "2"


def test_a_first_publish_into_an_empty_remote_with_an_ignored_folder(tmp_path):
    need_tool("git")
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(bare), str(work))  # "You appear to have cloned an empty repository"
    git(work, "config", "user.name", "w")
    git(work, "config", "user.email", "w@example.com")
    write_post(work, "NW202612010000000001")
    (work / ".gitignore").write_text("old_post/\n")
    (work / "old_post").mkdir()
    (work / "old_post" / "2020-01-01-NW202001010000000001.md").write_text("kept out by .gitignore")
    (work / "emnews").mkdir()  # a folder with nothing git would take
    publish(work)
    assert sorted(remote_files(bare)) == [
        "_posts/2026-12-01-NW202612010000000001.md",
        "category/zhengquanshibaowang.html",
    ]


def test_only_posts_and_index_pages_are_committed_the_rest_is_named_once(remote):
    bare, clone = remote
    work = clone("machine1")
    write_post(work, "NW202612010000000001")
    for junk in ("_posts/.env", "_posts/.2026-12-01-NW202612010000000001.md.swp", "_posts/.DS_Store",
                 "category/notes.txt", "category/sub/page.html", "emnews/draft.txt"):  # fmt: skip
        (work / junk).parent.mkdir(parents=True, exist_ok=True)
        (work / junk).write_text("not the archive's\n")
    process = publish(work)
    assert sorted(remote_files(bare)) == [".gitignore", "_config.yml", "_posts/.gitkeep",
                                          "_posts/2026-12-01-NW202612010000000001.md",
                                          "category/zhengquanshibaowang.html"]  # fmt: skip
    assert process.stderr.count("left out of the commit: 6 files") == 1 and "such as _posts/." in process.stderr
    assert (work / "_posts" / ".env").exists()  # left on disk
    assert git(work, "status", "--porcelain", "--", "_posts/2026-12-01-NW202612010000000001.md") == ""


def test_no_hook_runs_and_a_detached_head_commits_nothing(remote):
    """Hooks are for people at a terminal: a publish runs none (a refusing pre-commit or pre-push hook
    changes nothing); --no-push on a detached HEAD would commit on no branch: refused, exit 2."""
    bare, clone = remote
    work = clone("machine1")
    for hook in ("pre-commit", "commit-msg", "pre-push", "post-commit"):
        path = work / ".git" / "hooks" / hook
        path.write_text("#!/bin/sh\necho hook ran >> ran.txt\nexit 1\n")
        path.chmod(0o755)
    write_post(work, "NW202612010000000001")
    publish(work)
    assert not (work / "ran.txt").exists() and "_posts/2026-12-01-NW202612010000000001.md" in remote_files(bare)
    git(work, "checkout", "--quiet", "--detach")
    write_post(work, "NW202612010000000002")
    process = publish(work, "--no-push", status=2)
    assert "HEAD is detached" in process.stderr
    assert git(work, "rev-list", "--count", "HEAD") == "2"


def test_a_rebase_an_older_publish_left_is_undone_and_a_persons_rebase_is_refused(remote):
    """An older publish stopped in its `pull --rebase` left the archive mid-rebase on a detached HEAD with
    its newest post off the disk, and a crawl then wrote that post again: the next plain publish undoes
    the rebase (the committed post back in place), integrates and delivers the commit. A rebase of
    commits that are not publish's is a person's: refused, exit 2, nothing touched."""
    bare, clone = remote
    one, two = clone("machine1"), clone("machine2")
    write_post(one, "NW202612010000000001")
    publish(one)
    post = write_post(two, "NW202612010000000002")
    publish(two, "--no-push")
    committed = post.read_bytes()
    git(two, "fetch", "--quiet", "origin")
    stop_first = {"GIT_SEQUENCE_EDITOR": "sed -i '1i break'", "PATH": os.environ["PATH"]}
    subprocess.run(["git", "-C", str(two), "rebase", "-i", "origin/main"], env=stop_first, capture_output=True,
                   timeout=60)  # fmt: skip
    assert subprocess.run(["git", "-C", str(two), "symbolic-ref", "-q", "HEAD"]).returncode != 0  # detached
    assert not post.exists()
    post.write_text("the same article, crawled again\n")  # untracked, in the way of the undo
    process = publish(two)
    assert "an interrupted git rebase of publish was undone" in process.stderr and "pushed" in process.stdout
    assert git(two, "symbolic-ref", "--short", "HEAD") == "main" and post.read_bytes() == committed
    assert {"_posts/2026-12-01-NW202612010000000001.md", "_posts/2026-12-01-NW202612010000000002.md"} <= set(
        remote_files(bare)
    )
    assert git(two, "status", "--porcelain", "--", "_posts", "category") == ""
    (two / "notes.txt").write_text("mine\n")
    git(two, "add", "notes.txt")
    git(two, "commit", "--quiet", "-m", "a person's commit")
    write_post(one, "NW202612010000000003")
    publish(one)
    git(two, "fetch", "--quiet", "origin")
    subprocess.run(["git", "-C", str(two), "rebase", "-i", "origin/main"], env=stop_first, capture_output=True,
                   timeout=60)  # fmt: skip
    process = publish(two, status=2)
    assert "a git rebase is in progress in the archive, not one of publish's" in process.stderr
    assert (two / ".git" / "rebase-merge").is_dir()


def test_names_of_any_bytes_links_and_removed_posts_are_handled(remote, tmp_path):
    """A junk name of bytes no text is never stops a publish; a symbolic link where a post goes is
    never committed (a post is a file); a removed post is counted as one."""
    bare, clone = remote
    work = clone("machine1")
    write_post(work, "NW202612010000000001")
    publish(work)
    os.remove(work / "_posts" / "2026-12-01-NW202612010000000001.md")
    write_post(work, "NW202612010000000002")
    (tmp_path / "outside.md").write_text("secret\n")
    os.symlink(tmp_path / "outside.md", work / "_posts" / "2026-12-01-NW202612010000000003.md")
    with open(os.path.join(os.fsencode(work / "_posts"), b"junk\xff.txt"), "wb") as junk:
        junk.write(b"junk\n")
    process = publish(work)
    files = remote_files(bare)
    assert "_posts/2026-12-01-NW202612010000000002.md" in files
    assert "_posts/2026-12-01-NW202612010000000001.md" not in files
    assert "_posts/2026-12-01-NW202612010000000003.md" not in files and "symbolic links" in process.stderr
    assert "left out of the commit: 1 file" in process.stderr and "junk\ufffd.txt" in process.stderr
    assert "1 new post" in process.stdout and "1 removed posts" in process.stdout


GIT_THAT_KILLS = """#!/bin/sh
# git, counting its calls; after the one numbered $FINEWS_TEST_KILL_AFTER, SIGKILL to the whole
# process group (the publish, its git commands, a local push's receive-pack), as a cancelled job does
n=$(( $(cat "$FINEWS_TEST_GIT_CALLS") + 1 ))
echo "$n" > "$FINEWS_TEST_GIT_CALLS"
"%s" "$@"
status=$?
if [ "$n" = "$FINEWS_TEST_KILL_AFTER" ]; then kill -"${FINEWS_TEST_SIGNAL:-KILL}" 0; fi
exit $status
"""


def killed_publish(work: Path, bin_dir: Path, after: int, signal: str = "KILL") -> subprocess.CompletedProcess:
    """`scrapy archive publish` in a process group of its own, killed after its git call number `after`."""
    calls = work.parent / f"calls-{work.name}"
    calls.write_text("0")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FINEWS_TEST_GIT_CALLS": str(calls),
           "FINEWS_TEST_KILL_AFTER": str(after), "FINEWS_TEST_SIGNAL": signal}  # fmt: skip
    command = scrapy_command("archive", "publish", settings={"FINEWS_ARCHIVE_DIR": work})
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          start_new_session=True)  # fmt: skip


def kill_case(where: Path, bin_dir: Path, after: int, crawl: bool = True, signal: str = "KILL") -> tuple[int, str]:
    """Machine one pushed first; machine two's publish (commit, a refused push, fetch, integrate, push)
    is killed after git call `after`; a crawl writes one more post (unless not `crawl`); the next plain
    publish must deliver everything. Returns the killed run's exit status and what went wrong ("" when
    nothing did)."""
    where.mkdir()
    bare, clone = new_remote(where)
    one, two = clone("one"), clone("two")
    write_post(one, "NW202612010000000001")
    git(one, "add", "-A", "_posts", "category")
    git(one, "commit", "--quiet", "-m", "finews: 1 new post")
    git(one, "push", "--quiet", "origin", "main")
    mine = [write_post(two, "NW202612010000000002"), write_post(two, "NW202612010000000003", slug="xinhuawang")]
    killed = killed_publish(two, bin_dir, after, signal)
    if missing := [post.name for post in mine if not post.is_file()]:
        return killed.returncode, f"posts off the disk after the kill: {missing}"
    if crawl:
        mine.append(write_post(two, "NW202612010000000004"))  # a crawl before the next publish
    again = publish(two, status=None)
    if again.returncode != 0:
        return killed.returncode, f"the next publish exited {again.returncode}: {again.stderr[-600:]}"
    every = {f"_posts/2026-12-01-NW20261201000000000{n}.md" for n in range(1, 5 if crawl else 4)}
    problems = [
        f"the remote lacks {sorted(every - set(remote_files(bare)))}" if every - set(remote_files(bare)) else "",
        f"not on disk: {[p for p in sorted(every) if not (two / p).is_file()]}" if any(
            not (two / p).is_file() for p in every) else "",
        "HEAD is not main" if git(two, "symbolic-ref", "--short", "HEAD") != "main" else "",
        "HEAD is not the remote's main" if git(two, "rev-parse", "HEAD") != git(bare, "rev-parse", "main") else "",
        f"left changed: {git(two, 'status', '--porcelain', '--', '_posts', 'category')!r}" if git(
            two, "status", "--porcelain", "--", "_posts", "category") else "",
        "a merge commit" if git(bare, "rev-list", "--count", "--merges", "main") != "0" else "",
    ]  # fmt: skip
    return killed.returncode, "; ".join(problem for problem in problems if problem)


def test_a_publish_killed_after_any_git_command_loses_nothing(tmp_path):
    """The kill matrix: a publish that commits, finds the remote moved on, integrates and pushes again,
    SIGKILLed (with every git it runs) after each of its git commands in turn. After each kill every
    post is still on disk, and the next plain publish (after a crawl wrote one more post, or at once)
    delivers all of them on the branch, with a clean work tree and a linear history."""
    need_tool("git")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(GIT_THAT_KILLS % shutil.which("git"))
    (bin_dir / "git").chmod(0o755)
    failures, last = [], None
    with ThreadPoolExecutor(max_workers=4) as pool:
        for start in range(1, 80, 8):  # bounded: a publish runs about 40 git commands
            cases = {after: pool.submit(kill_case, tmp_path / f"case{after}", bin_dir, after, after % 2 == 0)
                     for after in range(start, start + 8)}  # fmt: skip
            outcomes = {after: case.result(timeout=300) for after, case in cases.items()}
            failures += [
                f"killed after git call {after}: {problem}" for after, (_, problem) in outcomes.items() if problem
            ]
            finished = [after for after, (status, _) in outcomes.items() if status == 0]
            if finished:
                last = min(finished)
                break
    assert last is not None and last > 20, "the publish never ran to its end"
    assert not failures, "\n".join(failures)


def test_sigterm_stops_a_publish_with_status_7_and_the_next_one_delivers(tmp_path):
    need_tool("git")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(GIT_THAT_KILLS % shutil.which("git"))
    (bin_dir / "git").chmod(0o755)
    assert kill_case(tmp_path / "case", bin_dir, 30, signal="TERM") == (7, "")


def test_the_same_post_pushed_from_two_machines_is_one(remote):
    """Two machines crawled the same article to the same bytes: the second publish finds its commit
    already on the remote and makes no other (it never stops at an empty change)."""
    bare, clone = remote
    one, two = clone("machine1"), clone("machine2")
    for work in (one, two):
        write_post(work, "NW202612010000000001")
    publish(one)
    process = publish(two)
    assert "pushed" not in process.stdout or "pushed 0" not in process.stdout
    assert git(bare, "rev-list", "--count", "main") == "2" and git(two, "rev-parse", "HEAD") == git(
        bare, "rev-parse", "main"
    )
    write_post(two, "NW202612010000000002")
    publish(two)
    assert "_posts/2026-12-01-NW202612010000000002.md" in remote_files(bare)


def race(remote, change_remote, names: tuple[str, str] = ("machine1", "machine2")) -> tuple[Path, Path, Path]:
    """Machine two has a new post to push; the remote moved on by `change_remote(machine one)`."""
    bare, clone = remote
    one, two = clone(names[0]), clone(names[1])
    change_remote(one)
    git(one, "push", "--quiet", "--force", "origin", "HEAD:main")
    write_post(two, "NW202612010000000002")
    return bare, one, two


def commit_all(work: Path, message: str = "finews: theirs") -> None:
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)


def test_what_the_remote_brings_never_replaces_a_file_git_does_not_track_here(remote):
    """An ignored or untracked file here where the remote puts one (a lock, `_posts/.env`) stays as it
    is: the publish exits 9 naming it, and nothing is written."""

    def adds_a_lock(one: Path) -> None:
        (one / ".finews.eastmoney.lock").write_text("theirs\n")
        commit_all(one)

    _, _, two = race(remote, adds_a_lock)
    (two / ".git" / "info" / "exclude").write_text(".finews.*.lock\n")
    (two / ".finews.eastmoney.lock").write_text("running pid 1\n")
    process = publish(two, status=9)
    assert "brings .finews.eastmoney.lock, which is a file here git does not track" in process.stderr
    assert (two / ".finews.eastmoney.lock").read_text() == "running pid 1\n"


def test_a_symbolic_link_for_an_archive_folder_is_refused_and_a_file_for_a_folder_is_a_conflict(remote, tmp_path):
    """The remote makes `emnews/` a link out of the archive: refused, nothing written. It makes
    `category` a link where this clone adds a category page: a conflict for a person."""

    def links_folders(one: Path) -> None:
        (tmp_path / "outside").mkdir()
        (one / "emnews").symlink_to(tmp_path / "outside")
        commit_all(one)

    _, _, two = race(remote, links_folders)
    process = publish(two, status=9)
    assert "brings a symbolic link or a repository into the archive's folders (emnews)" in process.stderr
    assert not (two / "emnews").exists()

    def links_category(one: Path) -> None:
        shutil.rmtree(one / "category", ignore_errors=True)
        (one / "category").symlink_to(tmp_path / "outside")
        commit_all(one)

    (tmp_path / "again").mkdir()
    _, _, two = race(new_remote(tmp_path / "again"), links_category)
    process = publish(two, status=9)
    assert "change the same file differently (such as category/" in process.stderr
    assert not (two / "category").is_symlink()


def test_a_remote_of_another_history_is_refused_with_one_line(remote):
    def rewrites_history(one: Path) -> None:
        git(one, "checkout", "--quiet", "--orphan", "other")
        commit_all(one, "another start")

    _, _, two = race(remote, rewrites_history)
    process = publish(two, status=9)
    assert "share no commit" in process.stderr.strip().splitlines()[-1]


def test_a_stale_index_lock_is_named_and_a_second_publish_in_the_clone_exits_3(remote):
    def adds_a_post(one: Path) -> None:
        write_post(one, "NW202612010000000001")
        commit_all(one)

    _, _, two = race(remote, adds_a_post)
    (two / ".git" / "index.lock").write_text("")
    process = publish(two, status=9)
    assert "git's index is locked (.git/index.lock): if no git runs in the archive, remove that file" in process.stderr
    (two / ".git" / "index.lock").unlink()
    import fcntl

    with open(two / ".git" / "finews-publish.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert "another publish or init is running in this archive" in publish(two, status=3).stderr
    assert "pushed" in publish(two).stdout
