"""`scrapy archive init DIR`: a new archive ready to crawl and publish, with real git and a bare remote on disk.

From nothing to a pushed archive (init, a real crawl of the mirror, `archive publish` with no flag);
the recorded site URL in the posts' links, and -s over it; a second init that adds nothing; an
existing archive's own files kept; the refusals (exit status 2, one line, nothing made); a hostile
settings record that stops every command. The pure parts (url and baseurl, the workflow's values,
the options) are checked in process, in the fast suite.
"""

import fcntl
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from scrapy.exceptions import UsageError

from crawler.archive import layout
from crawler.archive.record import archive_settings
from crawler.commands import one_line
from crawler.exitstatus import ExitStatus
from crawler.tools.init import (
    DEFAULT_TITLE,
    REF_SETTING,
    REPOSITORY_SETTING,
    WORKFLOW,
    WORKFLOW_TEMPLATE,
    crawler_ref,
    site_parts,
    workflow_text,
    workflow_value,
)
from crawler.tools.publish import PUBLISH_LOCK, REPOSITORY_VARIABLES, shown
from fixtures.testing import scrapy_command, serve
from tests.conftest import REPO, archive_command, need_tool
from tests.crawl import scrapy_crawl

slow = pytest.mark.slow  # real git and `scrapy` processes
SITE_URL = "https://alice.github.io/news"
TEMPLATE = REPO / WORKFLOW_TEMPLATE
INIT_FILES = [".gitignore", "_config.yml", layout.SETTINGS_FILE, WORKFLOW.as_posix(), f"{layout.POSTS_DIR}/.gitkeep"]


def git(where: Path, *args: str, status: int | None = 0) -> str:
    process = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, timeout=60)
    assert status is None or process.returncode == status, process.stderr
    return process.stdout.strip()


def init(
    folder: Path, *options: str, status: int = 0, settings: dict | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`scrapy archive init folder options` run as a program (a str with surrogates is given as the bytes
    they stand for, as a shell would pass them); `env`: variables added to this process's environment."""
    command = scrapy_command("archive", "init", str(folder), *options, settings=settings)
    process = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert process.returncode == status, process.stdout + process.stderr[-3000:]
    return process


def scrapy(*argv: str, archive: Path) -> subprocess.CompletedProcess:
    command = scrapy_command(*argv, settings={"FINEWS_ARCHIVE_DIR": archive})
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=120)


def one_line_refusal(process: subprocess.CompletedProcess, said: str, status: int = ExitStatus.USAGE) -> None:
    assert process.returncode == status, process.stdout + process.stderr
    assert process.stderr.splitlines() == [process.stderr.strip()] and said in process.stderr, process.stderr
    assert "Traceback" not in process.stderr


@pytest.fixture
def bare(tmp_path):
    """An empty bare repository: the archive's remote as GitHub makes it, before the first push."""
    need_tool("git")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    return remote


def back_links(archive: Path) -> list[str]:
    """The targets of the links every post ends with ([返回…](…)｜[返回首页](…)), two a post."""
    posts = sorted((archive / layout.POSTS_DIR).glob("*.md"))
    links = [
        link for post in posts for link in re.findall(r"\[返回[^\]]*\]\(([^)]*)\)", post.read_text(encoding="utf-8"))
    ]
    assert posts and len(links) == 2 * len(posts)
    return links


def ignored(archive: Path, name: str) -> bool:
    """Whether the archive's .gitignore keeps `name` out of git."""
    return subprocess.run(["git", "-C", str(archive), "check-ignore", "-q", name], timeout=60).returncode == 0


@slow
def test_from_nothing_to_a_pushed_archive_with_no_flag_on_publish(bare, tmp_path):
    archive = tmp_path / "home" / "alice" / "news"  # its parents are made too
    process = init(archive, "--site-url", SITE_URL + "/", "--remote", str(bare),
                   "--crawler-repository", "alice/finews-crawler")  # fmt: skip
    lines = process.stdout.splitlines()
    assert process.stderr == "" and lines[-1].endswith(f"scrapy archive publish -s FINEWS_ARCHIVE_DIR={archive}")
    assert "the first publish pushes" in lines[-1]
    for folder in (layout.POSTS_DIR, layout.CATEGORY_DIR, layout.FAST_NEWS_DIR):
        assert (archive / folder).is_dir()
    assert os.listdir(archive / layout.CATEGORY_DIR) == os.listdir(archive / layout.FAST_NEWS_DIR) == []

    lines = (archive / ".gitignore").read_text(encoding="utf-8").splitlines()
    names = [layout.LOCK_GLOB, layout.WORKER_ID_GLOB, layout.TEMP_GLOB, layout.SITE_DIR, layout.QUARANTINE_DIR]
    assert all(any(line.rstrip("/") == name for line in lines) for name in names)
    assert yaml.safe_load((archive / "_config.yml").read_text(encoding="utf-8")) == {
        "title": DEFAULT_TITLE, "url": "https://alice.github.io", "baseurl": "/news"}  # fmt: skip
    assert archive_settings(archive) == {"FINEWS_SITE_URL": SITE_URL}  # without the final slash

    workflow = (archive / WORKFLOW).read_text(encoding="utf-8")
    template = TEMPLATE.read_text(encoding="utf-8")
    assert workflow_value(workflow, REPOSITORY_SETTING) == "alice/finews-crawler"
    ref, _ = crawler_ref(REPO)
    if ref is not None:  # the checkout is a clean git clone: its commit is what the workflow runs
        assert re.fullmatch(r"[0-9a-f]{40}", workflow_value(workflow, REF_SETTING)) and workflow_value(
            workflow, REF_SETTING) == ref  # fmt: skip
    else:
        assert workflow_value(workflow, REF_SETTING) == workflow_value(template, REF_SETTING)
        assert f"{REF_SETTING} left as the template has it" in process.stdout
    changed = [(a, b) for a, b in zip(template.splitlines(), workflow.splitlines(), strict=True) if a != b]
    assert len(changed) == (2 if ref else 1)
    for old, new in changed:  # the value replaced, the comment kept
        assert old.split("#", 1)[1] == new.split("#", 1)[1]

    assert git(archive, "config", "branch.main.remote") == "origin"
    assert git(archive, "config", "branch.main.merge") == "refs/heads/main"
    assert git(archive, "remote", "get-url", "origin") == str(bare)
    assert git(archive, "rev-list", "--count", "HEAD") == "1"
    assert sorted(git(archive, "ls-files").splitlines()) == sorted(INIT_FILES)
    assert git(archive, "status", "--porcelain") == ""
    assert git(bare, "rev-list", "--all") == ""  # nothing pushed yet
    for name in [".finews.eastmoney.lock", ".finews.eastmoney.worker", ".finews-eastmoney-x.tmp", "_site/index.html",
                 "_finews_quarantine/_posts/x.md", "_posts/.finews-eastmoney_724-y.tmp", ".finews.eastmoney.drops", ".finews.eastmoney_724.coverage"]:  # fmt: skip
        assert ignored(archive, name), name
    assert not ignored(archive, layout.SETTINGS_FILE) and not ignored(archive, WORKFLOW.as_posix())

    server, base_url = serve()
    try:
        scrapy_crawl(base_url, archive, "categories=cgnjj")  # no FINEWS_SITE_URL on its command line
        scrapy_crawl(base_url, archive, spider="eastmoney_724")
    finally:
        server.shutdown()
    assert all(link.startswith(SITE_URL + "/") for link in back_links(archive))
    assert (archive / ".finews.eastmoney.lock").is_file() and (archive / ".finews.eastmoney_724.lock").is_file()
    (archive / ".finews.eastmoney.worker").write_text("0123456789abcdef\n")  # a distributed crawl's worker id
    (archive / "_site").mkdir()
    (archive / "_site" / "index.html").write_text("built")

    published = scrapy("archive", "publish", archive=archive)
    assert published.returncode == 0, published.stderr
    assert "pushed 2 commits" in published.stdout
    assert git(archive, "status", "--porcelain") == ""
    assert git(bare, "rev-parse", "main") == git(archive, "rev-parse", "HEAD")
    pushed = git(bare, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert set(INIT_FILES) <= set(pushed) and not [name for name in pushed if ".lock" in name or "_site" in name]


@slow
def test_a_setting_on_the_command_line_wins_over_the_record(tmp_path):
    need_tool("git")
    archive = tmp_path / "news"
    init(archive, "--site-url", SITE_URL)
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, archive, spider="eastmoney_724", FINEWS_SITE_URL="https://other.example/site")
    finally:
        server.shutdown()
    assert all(link.startswith("https://other.example/site/") for link in back_links(archive))


@slow
def test_a_second_init_adds_nothing_and_commits_nothing(bare, tmp_path):
    archive = tmp_path / "news"
    options = ("--site-url", SITE_URL, "--remote", str(bare), "--title", "yes: 新闻 #1")
    init(archive, *options)
    files = {path: path.read_bytes() for path in archive.rglob("*") if path.is_file() and ".git/" not in str(path)}
    head = git(archive, "rev-parse", "HEAD")
    again = init(archive, *options).stdout
    assert "nothing to add: everything init makes was there already" in again
    assert not re.search(r": (made|added)\b", again) and "commit: none" in again
    assert git(archive, "rev-parse", "HEAD") == head
    assert {path: path.read_bytes() for path in files} == files
    assert yaml.safe_load((archive / "_config.yml").read_text(encoding="utf-8"))["title"] == "yes: 新闻 #1"


@slow
def test_an_existing_archive_keeps_its_files_and_gets_only_what_it_lacks(tmp_path):
    need_tool("git")
    archive = tmp_path / "site"
    (archive / layout.POSTS_DIR).mkdir(parents=True)
    (archive / layout.POSTS_DIR / "2026-12-01-NW202612010000000001.md").write_text("---\ntitle: x\n---\n")
    config = "title: 我的存档\nurl: https://mine.example\nbaseurl: ''\nexclude: [old_post]\n"
    (archive / "_config.yml").write_text(config, encoding="utf-8")
    (archive / ".gitignore").write_text("node_modules/\n_site/", encoding="utf-8")  # no final newline
    git(tmp_path, "init", "--quiet", "--initial-branch=gh-pages", str(archive))
    git(archive, "add", "-A")
    git(archive, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "--quiet", "-m", "the old archive")
    (archive / "notes.txt").write_text("staged by its owner, not for init's commit")
    git(archive, "add", "notes.txt")

    process = init(archive, "--site-url", SITE_URL)
    assert (archive / "_config.yml").read_text(encoding="utf-8") == config
    assert "_config.yml: there already, left as it is" in process.stdout
    assert "its url 'https://mine.example' and baseurl '' are not those of --site-url" in process.stdout
    assert (archive / ".gitignore").read_text(encoding="utf-8") == (
        "node_modules/\n_site/\n.finews.*.lock\n.finews.*.worker\n.finews.*.drops\n.finews.*.coverage\n"
        ".finews-*.tmp\n_finews_quarantine/\n")  # fmt: skip
    assert "git repository: there already (branch gh-pages)" in process.stdout
    assert "upstream of gh-pages: none (no --remote URL)" in process.stdout
    assert "scrapy archive publish --no-push" in process.stdout.splitlines()[-1]
    committed = git(archive, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(committed) == sorted([".gitignore", layout.SETTINGS_FILE, WORKFLOW.as_posix()])
    assert not (archive / layout.POSTS_DIR / ".gitkeep").exists()  # the posts folder holds posts
    assert git(archive, "diff", "--cached", "--name-only") == "notes.txt"  # still staged, not committed

    other = init(archive, "--site-url", "https://elsewhere.example", "--branch", "main", status=2)
    one_line_refusal(other, "is on branch gh-pages, not main")


@slow
@pytest.mark.parametrize(
    ("site_url", "said"),
    [
        ("javascript:alert(1)", "--site-url: setting FINEWS_SITE_URL must be"),
        ('https://x.example/"onmouseover', "--site-url: setting FINEWS_SITE_URL must be"),
        ("https://x.example/a b", "--site-url: setting FINEWS_SITE_URL must be"),
    ],
)
def test_a_bad_site_url_is_refused_and_nothing_is_made(tmp_path, site_url, said):
    archive = tmp_path / "news"
    one_line_refusal(init(archive, "--site-url", site_url, status=2), said)
    assert not archive.exists()


@slow
def test_init_refuses_a_folder_that_is_no_archive_of_its_own(tmp_path):
    need_tool("git")
    afile = tmp_path / "a-file"
    afile.write_text("x")
    one_line_refusal(init(afile, "--site-url", SITE_URL, status=2), "is not a folder")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    one_line_refusal(init(tmp_path / "link", "--site-url", SITE_URL, status=2), "is a symbolic link")
    assert os.listdir(tmp_path / "real") == []

    outer = tmp_path / "outer"
    git(tmp_path, "init", "--quiet", str(outer))
    (outer / "existing").mkdir()
    for inside in (outer / "news", outer / "existing"):
        refused = init(inside, "--site-url", SITE_URL, status=2)
        one_line_refusal(refused, f"is inside the work tree of the git repository {outer}")
    assert not (outer / "news").exists() and os.listdir(outer / "existing") == []
    assert git(outer, "status", "--porcelain") == ""

    in_checkout = REPO / "test-artifacts" / "no-archive-here"
    one_line_refusal(init(in_checkout, "--site-url", SITE_URL, status=2), "is in the finews-crawler checkout")
    assert not in_checkout.exists()

    elsewhere = tmp_path / "elsewhere"
    conflict = init(tmp_path / "news", "--site-url", SITE_URL, status=2, settings={"FINEWS_ARCHIVE_DIR": elsewhere})
    one_line_refusal(conflict, "name two folders")
    assert not (tmp_path / "news").exists() and not elsewhere.exists()
    init(tmp_path / "news", "--site-url", SITE_URL, settings={"FINEWS_ARCHIVE_DIR": tmp_path / "news"})  # the same


@slow
@pytest.mark.parametrize(
    "record",
    [
        "[settings]\nFINEWS_ARCHIVE_DIR = /etc\n",
        "[settings]\nFINEWS_SITE_URL = https://x.example/)[x](javascript:alert(1)\n",
        "/etc/passwd",  # a symbolic link to it
    ],
)
def test_a_hostile_settings_record_stops_every_command_with_one_line(tmp_path, record):
    archive = tmp_path / "news"
    (archive / layout.POSTS_DIR).mkdir(parents=True)
    path = archive / layout.SETTINGS_FILE
    if record.startswith("/"):
        path.symlink_to(record)
    else:
        path.write_text(record, encoding="utf-8")
    server, base_url = serve()
    try:
        crawled = scrapy_crawl(base_url, archive, spider="eastmoney_724", status=2)
    finally:
        server.shutdown()
    assert server.requested == []
    for process in (
        crawled,
        scrapy("archive", "export", archive=archive),
        init(archive, "--site-url", SITE_URL, status=2),
    ):
        one_line_refusal(process, str(path))
    assert sorted(os.listdir(archive)) == sorted([layout.POSTS_DIR, layout.SETTINGS_FILE])  # init made nothing


@slow
def test_the_workflow_runs_the_commit_of_the_checkout_init_runs_in(tmp_path):
    """Run in a clean clone of this checkout (this code, that clone's scrapy.cfg, template and HEAD), init
    pins the workflow to that HEAD; in a clone with a change it leaves the template's ref and says so."""
    need_tool("git")
    clone = tmp_path / "finews-crawler"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{REPO}", str(clone))
    if not (clone / WORKFLOW_TEMPLATE).is_file():
        pytest.skip(f"no {WORKFLOW_TEMPLATE} committed in this checkout")
    env = {**os.environ, "PYTHONSAFEPATH": "1", "PYTHONPATH": str(REPO)}  # this checkout's code, not the clone's

    def init_in_clone(archive: Path) -> str:
        command = scrapy_command("archive", "init", str(archive), "--site-url", SITE_URL)
        process = subprocess.run(command, cwd=clone, capture_output=True, text=True, env=env, timeout=120)
        assert process.returncode == 0, process.stdout + process.stderr
        return process.stdout

    said = init_in_clone(tmp_path / "news")
    workflow = (tmp_path / "news" / WORKFLOW).read_text(encoding="utf-8")
    head = git(clone, "rev-parse", "HEAD")
    assert re.fullmatch(r"[0-9a-f]{40}", head) and workflow_value(workflow, REF_SETTING) == head
    assert f"{REF_SETTING} is this checkout's commit" in said
    template = (clone / WORKFLOW_TEMPLATE).read_text(encoding="utf-8")
    assert workflow_value(workflow, REPOSITORY_SETTING) == workflow_value(template, REPOSITORY_SETTING)
    assert f"set {REPOSITORY_SETTING} in it to your copy of finews-crawler" in said  # the placeholder stays

    (clone / "scrapy.cfg").write_text((clone / "scrapy.cfg").read_text() + "\n# a change\n")
    said = init_in_clone(tmp_path / "other")
    workflow = (tmp_path / "other" / WORKFLOW).read_text(encoding="utf-8")
    assert workflow_value(workflow, REF_SETTING) == workflow_value(template, REF_SETTING)
    assert "has uncommitted changes" in said


@slow
def test_the_crawlers_commit_is_its_head_only_in_a_clean_clone(tmp_path):
    need_tool("git")
    clone = tmp_path / "finews-crawler"
    git(tmp_path, "init", "--quiet", str(clone))
    assert crawler_ref(clone)[0] is None  # no commit yet
    (clone / "scrapy.cfg").write_text("[settings]\n")
    git(clone, "add", "scrapy.cfg")
    git(clone, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "--quiet", "-m", "x")
    assert crawler_ref(clone) == (git(clone, "rev-parse", "HEAD"), "")
    (clone / "scrapy.cfg").write_text("[settings]\nchanged\n")
    ref, why = crawler_ref(clone)
    assert ref is None and "uncommitted changes" in why
    (clone / "sub").mkdir()
    assert crawler_ref(clone / "sub")[0] is None  # a folder of a clone is not the clone
    assert crawler_ref(None) == (None, "no finews-crawler checkout here")


def commit_as_a_person(where: Path, message: str) -> None:
    git(where, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "--quiet", "-m", message)


@slow
def test_a_rerun_commits_what_an_init_that_stopped_before_its_commit_left(tmp_path):
    """An init that failed at its commit (here a ref git cannot lock; a full disk, Ctrl-C or a second
    init alike) leaves its files staged, or not even staged: git's index counts them, HEAD's tree does
    not. The next init commits them and says so; the one after has nothing left to do."""
    need_tool("git")
    archive = tmp_path / "news"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(archive))
    lock = archive / ".git" / "refs" / "heads" / "main.lock"
    lock.touch()
    failed = init(archive, "--site-url", SITE_URL, status=ExitStatus.FAILED)
    assert failed.stderr.count("\n") == 1 and "git commit failed" in failed.stderr
    assert sorted(git(archive, "diff", "--cached", "--name-only").splitlines()) == sorted(INIT_FILES)
    lock.unlink()
    git(archive, "rm", "--cached", "--quiet", "--", "_config.yml")  # and one not staged (a stop before git add)

    again = init(archive, "--site-url", SITE_URL).stdout
    for path in INIT_FILES:
        assert f"{path}: there already, but not in the last commit" in again, again
    assert "commit: none" not in again and "nothing to add" not in again
    assert sorted(git(archive, "ls-tree", "-r", "--name-only", "HEAD").splitlines()) == sorted(INIT_FILES)
    assert git(archive, "status", "--porcelain") == "" and git(archive, "rev-list", "--count", "HEAD") == "1"

    third = init(archive, "--site-url", SITE_URL).stdout
    assert "nothing to add" in third and "commit: none" in third
    assert git(archive, "rev-list", "--count", "HEAD") == "1"


@slow
def test_init_never_works_on_another_repository(tmp_path):
    """A `.git` that is a link to another repository's, a `gitdir:` file (a linked work tree of another
    repository), and the variables that point git elsewhere (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE,
    ...): init refuses the first two with one line and writes nothing, and ignores the variables."""
    need_tool("git")
    other = tmp_path / "other"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(other))
    (other / "theirs.txt").write_text("theirs\n")
    git(other, "add", "theirs.txt")
    commit_as_a_person(other, "theirs")
    worktree = tmp_path / "worktree"
    git(other, "worktree", "add", "--quiet", "-b", "side", str(worktree))
    (other / "staged.txt").write_text("staged by its owner\n")
    git(other, "add", "staged.txt")

    def untouched() -> tuple:
        return (
            git(other, "for-each-ref"),
            git(other, "status", "--porcelain"),
            git(other, "count-objects", "-v"),
            git(other, "config", "--local", "--list"),
            (other / ".git" / "index").read_bytes(),
        )

    before = untouched()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".git").symlink_to(other / ".git")
    gitfile = tmp_path / "gitfile"
    gitfile.mkdir()
    (gitfile / ".git").write_text(f"gitdir: {other / '.git'}\n")
    elsewhere_tree = tmp_path / "its-work-tree"  # a git folder of its own, its work tree another folder
    elsewhere_tree.mkdir()
    git(tmp_path, "init", "--quiet", str(tmp_path / "detached"))
    git(tmp_path / "detached", "config", "core.worktree", str(elsewhere_tree))
    for folder, said in [
        (linked, f"{linked}/.git is a symbolic link (to {other / '.git'})"),
        (gitfile, f"{gitfile}/.git is no folder"),
        (worktree, f"{worktree}/.git is no folder"),
        (tmp_path / "detached", f"has its work tree elsewhere (core.worktree {elsewhere_tree})"),
    ]:
        there = sorted(os.listdir(folder))
        one_line_refusal(init(folder, "--site-url", SITE_URL, status=ExitStatus.USAGE), said)
        assert sorted(os.listdir(folder)) == there
    assert untouched() == before and os.listdir(elsewhere_tree) == []

    archive = tmp_path / "news"
    elsewhere = {
        "GIT_DIR": str(other / ".git"),
        "GIT_WORK_TREE": str(other),
        "GIT_INDEX_FILE": str(other / ".git" / "index"),
        "GIT_OBJECT_DIRECTORY": str(other / ".git" / "objects"),
        "GIT_COMMON_DIR": str(other / ".git"),
    }
    init(archive, "--site-url", SITE_URL, env=elsewhere)
    assert (archive / ".git").is_dir() and not (archive / ".git").is_symlink()
    assert sorted(git(archive, "ls-tree", "-r", "--name-only", "HEAD").splitlines()) == sorted(INIT_FILES)
    assert git(archive, "status", "--porcelain") == ""
    assert untouched() == before


def test_an_error_line_shows_control_characters_escaped():
    """Every command's error line (crawler/commands fail() and usage errors): a path or value with a
    newline, an escape or a line separator in it cannot break the line or rewrite the terminal."""
    assert one_line("no archive at /tmp/a\nb\x1b[2J\u2028c\x7f (新闻)") == (
        "no archive at /tmp/a\\nb\\x1b[2J\\u2028c\\x7f (新闻)"
    )
    assert one_line(shown("/tmp/a\nb")) == shown("/tmp/a\nb") == "/tmp/a\\nb"  # shown once, never twice


def test_git_runs_without_the_variables_that_point_it_at_another_repository():
    assert {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"} <= set(
        REPOSITORY_VARIABLES
    )
    assert "GIT_CEILING_DIRECTORIES" not in REPOSITORY_VARIABLES  # it only stops a search upwards


@slow
@pytest.mark.parametrize("staged", [False, True])
def test_a_gitignore_with_uncommitted_changes_gets_its_lines_but_is_not_committed(tmp_path, staged):
    """Init commits its own change, never a person's: a .gitignore of the last commit that holds changes
    not committed yet gets init's lines on disk and stays out of the commit, said in one line."""
    need_tool("git")
    archive = tmp_path / "news"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(archive))
    (archive / ".gitignore").write_text("node_modules/\n")
    git(archive, "add", ".gitignore")
    commit_as_a_person(archive, "mine")
    (archive / ".gitignore").write_text("node_modules/\nmy-notes-not-for-git.txt\n")
    if staged:
        git(archive, "add", ".gitignore")

    said = init(archive, "--site-url", SITE_URL).stdout
    assert ".gitignore: not committed: it held changes not yet committed" in said
    assert git(archive, "show", "HEAD:.gitignore") == "node_modules/"
    committed = git(archive, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(committed) == sorted(path for path in INIT_FILES if path != ".gitignore")
    text = (archive / ".gitignore").read_text(encoding="utf-8")
    assert text.startswith("node_modules/\nmy-notes-not-for-git.txt\n") and text.count(layout.LOCK_GLOB) == 1
    assert git(archive, "status", "--porcelain") == ("MM .gitignore" if staged else "M .gitignore")  # as it was


@slow
@pytest.mark.parametrize(
    "option",
    [
        ("--share-url", "https://x.example/\udcff{info_code}"),  # the byte 0xff, as a shell passes $'\xff'
        ("--title", "caf\udce9"),  # café in Latin-1
        ("--remote", "git@example.com:\udcff.git"),
        ("--branch", "ma\udcffin"),
        ("--crawler-repository", "alice/\udcff"),
    ],
)
def test_an_option_that_is_no_utf8_text_is_refused_before_anything_is_made(tmp_path, option):
    archive = tmp_path / "news"
    refused = init(archive, "--site-url", SITE_URL, *option, status=ExitStatus.USAGE)
    one_line_refusal(refused, f"{option[0]} ")
    assert "is not UTF-8 text" in refused.stderr and not archive.exists()


@slow
def test_gitignore_lines_count_as_there_when_git_ignores_by_them(tmp_path):
    """What .gitignore holds is judged by git (check-ignore on names the archive makes), not by its
    text: a line with leading spaces is another pattern, a later `!` line takes names back, and what
    only this clone's .git/info/exclude ignores is not ignored in a clone (a GitHub Actions run's)."""
    need_tool("git")
    archive = tmp_path / "news"
    archive.mkdir()
    mine = "  .finews.*.lock  \n.finews.*.worker\n!.finews.eastmoney_724.worker\n.finews-*.tmp\n_finews_quarantine/\n"
    (archive / ".gitignore").write_text(mine, encoding="utf-8")
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(archive))
    (archive / ".git" / "info" / "exclude").write_text("_site/\n")

    said = init(archive, "--site-url", SITE_URL).stdout
    added = [".finews.*.lock", ".finews.*.worker", ".finews.*.drops", ".finews.*.coverage", "_site/"]
    assert (archive / ".gitignore").read_text(encoding="utf-8") == mine + "".join(line + "\n" for line in added)
    assert f".gitignore: there already; added {', '.join(added)}" in said
    assert ".gitignore line 3 (!.finews.eastmoney_724.worker) takes back what .finews.*.worker ignores" in said
    (archive / ".git" / "info" / "exclude").write_text("")
    for name in [".finews.eastmoney.lock", ".finews.eastmoney_724.lock", ".finews.eastmoney_724.worker",
                 ".finews.eastmoney.worker", "_site/index.html", "_finews_quarantine/_posts/x.md"]:  # fmt: skip
        assert ignored(archive, name), name

    again = init(archive, "--site-url", SITE_URL).stdout
    assert ".gitignore: there already, ignoring all that init's lines do" in again and "nothing to add" in again


@slow
def test_one_init_or_publish_at_a_time_in_a_repository(tmp_path):
    """Init holds publish's lock (an flock in the git folder) for its whole run: while another holds it
    init exits 3 with one line and writes nothing; inits started together make one commit."""
    need_tool("git")
    archive = tmp_path / "news"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(archive))
    fd = os.open(archive / ".git" / PUBLISH_LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        refused = init(archive, "--site-url", SITE_URL, status=ExitStatus.LOCKED)
        one_line_refusal(refused, "another scrapy archive init or publish is running in", status=ExitStatus.LOCKED)
        assert os.listdir(archive) == [".git"]
    finally:
        os.close(fd)

    command = scrapy_command("archive", "init", str(archive), "--site-url", SITE_URL)
    runs = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    statuses = [run.wait(timeout=120) for run in runs]
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert set(statuses) <= {ExitStatus.OK, ExitStatus.LOCKED} and ExitStatus.OK in statuses, statuses
    assert git(archive, "rev-list", "--count", "HEAD") == "1"
    assert sorted(git(archive, "ls-tree", "-r", "--name-only", "HEAD").splitlines()) == sorted(INIT_FILES)
    assert git(archive, "status", "--porcelain") == ""


@slow
def test_what_init_says_is_one_line_a_thing(bare, tmp_path):
    """A folder named with a newline or an escape is shown escaped; a .gitignore that is a link is said to
    be one and left alone; a rerun says a --title or --remote it did not apply, and how to apply it; a
    posts folder that is a link is refused as every command refuses it (exit status 6), nothing made."""
    odd = tmp_path / "a\nb\x1b[31m"
    said = init(odd, "--site-url", SITE_URL).stdout
    assert "\x1b" not in said and f"folder {tmp_path}/a\\nb\\x1b[31m: made" in said
    assert f"FINEWS_ARCHIVE_DIR='{tmp_path}/a\\nb\\x1b[31m'" in said.splitlines()[-1]
    afile = tmp_path / "c\nd\x1b[2J"
    afile.write_text("x")
    one_line_refusal(init(afile, "--site-url", SITE_URL, status=ExitStatus.USAGE), "c\\nd\\x1b[2J is not a folder")

    archive = tmp_path / "news"
    archive.mkdir()
    outside = tmp_path / "someone-elses-ignore"
    outside.write_text("keep me\n")
    (archive / ".gitignore").symlink_to(outside)
    said = init(archive, "--site-url", SITE_URL).stdout
    assert ".gitignore: a symbolic link: left alone, and not committed" in said
    assert "git add" not in said and "not in git" not in said
    assert outside.read_text() == "keep me\n" and (archive / ".gitignore").is_symlink()
    assert ".gitignore" not in git(archive, "ls-tree", "-r", "--name-only", "HEAD").splitlines()

    git(archive, "remote", "add", "origin", "https://example.com/old.git")
    again = init(archive, "--site-url", SITE_URL, "--title", "Other", "--remote", str(bare)).stdout
    assert f"_config.yml: kept (its title {DEFAULT_TITLE!r} differs from --title 'Other')" in again
    assert f"git remote set-url origin {bare}, then init again, sets it" in again
    assert "init again with --remote" not in again

    posts_linked = tmp_path / "linked-posts"
    (tmp_path / "elsewhere").mkdir()
    posts_linked.mkdir()
    (posts_linked / layout.POSTS_DIR).symlink_to(tmp_path / "elsewhere")
    refused = init(posts_linked, "--site-url", SITE_URL, status=ExitStatus.NOT_WRITABLE)
    one_line_refusal(refused, f"{posts_linked / layout.POSTS_DIR} is a symbolic link", ExitStatus.NOT_WRITABLE)
    assert os.listdir(posts_linked) == [layout.POSTS_DIR] and os.listdir(tmp_path / "elsewhere") == []


# --- in process, no program run: the fast suite ---------------------------------------------------


@pytest.mark.parametrize(
    ("site_url", "parts"),
    [
        ("https://alice.github.io/news", ("https://alice.github.io", "/news")),
        ("https://alice.github.io/a/b", ("https://alice.github.io", "/a/b")),
        ("https://news.example.com", ("https://news.example.com", "")),
        ("http://127.0.0.1:8000", ("http://127.0.0.1:8000", "")),
        ("//finews.withounder.com", ("//finews.withounder.com", "")),
        ("", ("", "")),
    ],
)
def test_url_and_baseurl_of_a_site(site_url, parts):
    assert site_parts(site_url) == parts


def test_the_workflow_gets_the_values_and_keeps_the_comments():
    if not TEMPLATE.is_file():
        pytest.skip(f"no {WORKFLOW_TEMPLATE} in this checkout")
    template = TEMPLATE.read_text(encoding="utf-8")
    sha = "0123456789abcdef0123456789abcdef01234567"
    text, missing = workflow_text(template, {REPOSITORY_SETTING: "bob/crawler", REF_SETTING: sha})
    assert missing == [] and workflow_value(text, REPOSITORY_SETTING) == "bob/crawler"
    assert workflow_value(text, REF_SETTING) == sha
    env = yaml.safe_load(text)["env"]
    assert env[REPOSITORY_SETTING] == "bob/crawler" and env[REF_SETTING] == sha
    assert len(text.splitlines()) == len(template.splitlines())
    assert workflow_text("env:\n  OTHER: x\n", {REF_SETTING: sha}) == ("env:\n  OTHER: x\n", [REF_SETTING])


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ((), "init takes one argument, the archive's folder"),
        (("a", "b", "--site-url", SITE_URL), "init takes one argument, the archive's folder"),
        (("{dir}",), "init needs --site-url URL"),
        (("{dir}", "--site-url", "javascript:alert(1)"), "--site-url: setting FINEWS_SITE_URL must be"),
        (
            ("{dir}", "--site-url", SITE_URL, "--share-url", "https://x.example/{id}"),
            "--share-url: setting FINEWS_SHARE_URL",
        ),
        (("{dir}", "--site-url", SITE_URL, "--crawler-repository", "alice"), "--crawler-repository must be"),
        (("{dir}", "--site-url", SITE_URL, "--crawler-repository=-alice/x"), "--crawler-repository must be"),
        (("{dir}", "--site-url", SITE_URL, "--crawler-repository", "al--ice/x"), "--crawler-repository must be"),
        (("{dir}", "--site-url", SITE_URL, "--crawler-repository", "alice/.."), "--crawler-repository must be"),
        (("{dir}", "--site-url", SITE_URL, "--crawler-repository", "alice/x y"), "--crawler-repository must be"),
        (("{dir}", "--site-url", SITE_URL, "--remote=-uorigin"), "--remote takes one word"),
        (("{dir}", "--site-url", SITE_URL, "--remote", "a b"), "--remote takes one word"),
        (("{dir}", "--site-url", SITE_URL, "--title", "two\nlines"), "--title must be one line"),
        (("{dir}", "--site-url", SITE_URL, "--title", "caf\udce9"), "--title 'caf\ufffd' is not UTF-8 text"),
        (("{dir}", "--site-url", "https://x.example/\udcff"), "--site-url 'https://x.example/\ufffd' is not UTF-8"),
        (("{dir}", "--site-url", SITE_URL, "--share-url", "https://x.example/\udcff{info_code}"), "is not UTF-8"),
        (("{dir}", "--site-url", "https://alice.github.io//news"), "--site-url: setting FINEWS_SITE_URL must be"),
        (("{dir}", "--site-url", "https://alice.github.io:0/news"), "--site-url: setting FINEWS_SITE_URL must be"),
        (
            ("{dir}", "--site-url", SITE_URL, "--share-url", "https://x.example/{info_code:d}"),
            "--share-url: setting FINEWS_SHARE_URL must be an http(s) URL (may use {info_code}); a placeholder is a bare",
        ),
        (
            ("{dir}", "--site-url", SITE_URL, "--share-url", "https://x.com/{info_code}>[x](javascript:alert(1))<"),
            "it is in every post's links",
        ),
        (("{dir}", "--site-url", SITE_URL, "--no-push"), "--no-push belongs to publish, not init"),
        (("{dir}", "--site-url", SITE_URL, "--fix"), "--fix belongs to doctor, not init"),
    ],
)
def test_init_refuses_what_it_cannot_do_before_it_makes_anything(tmp_path, options, said):
    folder = tmp_path / "news"
    argv = [str(folder) if option == "{dir}" else option for option in options]
    with pytest.raises(UsageError, match=re.escape(said)):
        archive_command(tmp_path / "unused", "init", *argv)
    assert not folder.exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["export", "extra"], "export takes no argument 'extra'"),
        (["publish", "--site-url", SITE_URL], "--site-url belongs to init, not publish"),
        (["export", "--remote", "origin"], "--remote belongs to init and publish, not export"),
    ],
)
def test_the_other_verbs_take_no_folder_and_no_option_of_init(tmp_path, argv, said):
    (tmp_path / layout.POSTS_DIR).mkdir()
    with pytest.raises(UsageError, match=re.escape(said)):
        archive_command(tmp_path, *argv)
