"""The command line of every command: a usage error is one line naming what is wrong and what is accepted,
exit status 2, no traceback and no Scrapy version lines; `-h` shows every verb with its options."""

import os
import re
import shutil
import subprocess

import pytest

from crawler.archive import Archive
from crawler.exitstatus import ExitStatus
from crawler.tools import VERBS
from fixtures.testing import scrapy_command
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow  # each test runs `scrapy` as a process (~0.7 s)


def run(*argv, archive=None) -> subprocess.CompletedProcess:
    settings = {"FINEWS_ARCHIVE_DIR": archive} if archive else {}
    command = scrapy_command(*argv, settings=settings)
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "archive"
    (root / "_posts").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["crawl", "eastmony"], "no spider 'eastmony': use one of eastmoney, eastmoney_724"),
        (["crawl"], "name one spider: eastmoney, eastmoney_724"),
        (["crawl", "eastmoney", "eastmoney_724"], "name one spider"),
        (["crawl", "eastmoney", "-a", "pages=0"], "pages must be a whole number"),
        (["crawl", "eastmoney", "-a", "colour=red"], "unknown argument 'colour'"),
        (["crawl", "eastmoney", "-s", "FINEWS_LIST_PAGE_SIZE=abc"], "FINEWS_LIST_PAGE_SIZE"),
        (["crawl", "eastmoney", "-s", "FINEWS_REDIS_URL=http://x"], "FINEWS_REDIS_URL"),
        (["archive"], "say which verb: one of init, export, maintain, build, publish, doctor"),
        (["archive", "tidy"], "say which verb (not 'tidy')"),
        (["archive", "build", "--fix"], "--fix belongs to doctor, not build"),
        (["archive", "maintain", "--move-older-than", "３"], "0 or more days"),
        (["archive", "maintain"], "needs --move-older-than DAYS, --fix-categories, --add-stocks or more"),
        (["seed_redis"], "set -s FINEWS_REDIS_URL"),
        (["archive", "--bogus", "export"], "unknown option --bogus: see scrapy archive -h"),
        (["archive", "maintain", "--move-older-than", "99999999999999999999"], "--move-older-than"),
        (
            ["archive", "maintain", "--fix-categories", "-s", "FINEWS_OLD_POSTS_DIR=../elsewhere"],
            "FINEWS_OLD_POSTS_DIR",
        ),
        (["archive", "export", "-s", "FINEWS_COLOUR=red"], "unknown setting FINEWS_COLOUR"),
        (["archive", "export", "-o", ""], "-o needs a file name"),
        (["archive", "publish", "--no-push", "--remote", "origin"], "not with --no-push"),
        (["demo", "-a", "pages=1"], "unknown option -a"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_status_2(archive, argv, said):
    process = run(*argv, archive=archive)
    assert process.returncode == ExitStatus.USAGE
    assert process.stderr.splitlines() == [process.stderr.strip()], process.stderr  # one line
    assert process.stderr.startswith(f"scrapy {argv[0]}: ") and said in process.stderr
    assert "Traceback" not in process.stderr and "Scrapy" not in process.stderr and process.stdout == ""


def test_archive_help_lists_every_verb_with_its_options():
    help_text = run("archive", "-h").stdout
    sections = re.split(r"\n(?=\w[\w ]* Options\n=+\n)", help_text)  # Scrapy's help: one section a group
    for name, verb in VERBS.items():
        [section] = [s for s in sections if s.startswith(f"{name.title()} Options")]
        assert f"scrapy archive {name}:" in section
        for option in verb.options:
            assert re.search(rf"(^|[ ,]){re.escape(option.flags[-1])}\b(?!-)", section, re.M), (name, option.flags)


def test_every_exit_status_is_in_the_readme_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(f"\n| {status.value} |" in readme for status in ExitStatus)


def test_a_locked_archive_stops_a_verb_that_needs_the_locks_with_status_3(archive):
    crawl = Archive(archive, feed="eastmoney_724")
    crawl.lock()
    try:
        process = run("archive", "maintain", "--fix-categories", archive=archive)
        exported = run("archive", "export", archive=archive)  # reading needs no lock
    finally:
        crawl.unlock()
    assert process.returncode == ExitStatus.LOCKED and "nothing was done" in process.stderr
    assert exported.returncode == ExitStatus.OK
    assert run("archive", "maintain", "--fix-categories", archive=archive).returncode == ExitStatus.OK  # let go


def test_commands_that_work_on_an_archive_never_make_one(tmp_path):
    nowhere = tmp_path / "typo"
    process = run("seed_redis", "-s", "FINEWS_REDIS_URL=redis://127.0.0.1:1/0", archive=nowhere)
    assert process.returncode == ExitStatus.USAGE and "no archive at" in process.stderr
    assert not nowhere.exists()


@pytest.mark.parametrize(
    "inside", ["_posts/2018-04-17-NW20180417879488441.md", "category/x.html", ".finews.eastmoney.lock"]
)
def test_an_output_file_is_never_inside_the_archive(archive, inside):
    before = (archive / inside).read_bytes() if (archive / inside).exists() else None
    for argv in (["export", "-o"], ["doctor", "--report"]):
        process = run("archive", *argv, str(archive / inside), archive=archive)
        assert process.returncode == ExitStatus.USAGE and "is inside the archive" in process.stderr
    assert ((archive / inside).read_bytes() if (archive / inside).exists() else None) == before


def test_a_report_on_stdout_that_nobody_reads_never_stops_the_work(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(FIXTURES / "expected", root)
    shutil.rmtree(root / "category")  # every page to write again
    command = scrapy_command("archive", "maintain", "--fix-categories", settings={"FINEWS_ARCHIVE_DIR": root})
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # the reader went away at once (`| true`)
        _, error = process.communicate(timeout=60)
    assert process.returncode == ExitStatus.OK, error
    pages = {page.name for page in (FIXTURES / "expected/category").iterdir()}
    assert {page.name for page in (root / "category").iterdir()} == pages
    closed = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command], cwd=REPO, capture_output=True, timeout=60)
    assert closed.returncode == ExitStatus.OK and b"Traceback" not in closed.stderr  # stdout closed from the start


def test_export_to_a_full_stdout_blames_stdout_and_to_a_closed_one_asks_for_a_file(archive):
    command = scrapy_command("archive", "export", settings={"FINEWS_ARCHIVE_DIR": archive})
    shutil.copy(FIXTURES / "expected/_posts" / sorted(os.listdir(FIXTURES / "expected/_posts"))[0], archive / "_posts")
    with open("/dev/full", "w") as full:
        process = subprocess.run(command, cwd=REPO, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert process.returncode == ExitStatus.NOT_WRITABLE and "cannot write the export to stdout" in process.stderr
    closed = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *command], cwd=REPO, stderr=subprocess.PIPE, text=True, timeout=60
    )
    assert closed.returncode == ExitStatus.USAGE and "stdout is closed" in closed.stderr
    assert "Traceback" not in process.stderr + closed.stderr
