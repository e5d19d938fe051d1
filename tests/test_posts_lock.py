"""The posts lock: a site build never reads posts while maintain or doctor --fix moves or rewrites them."""

import shutil
import subprocess

import pytest

from crawler.archive.lock import posts_held
from crawler.exitstatus import ExitStatus
from fixtures.testing import scrapy_command
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow  # each test runs `scrapy archive` as a process


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(FIXTURES / "expected", root)
    return root


def archive_verb(root, *argv) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", *argv, settings={"FINEWS_ARCHIVE_DIR": root})
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [["maintain", "--move-older-than", "0"], ["doctor", "--fix"]])
def test_posts_are_not_moved_or_rewritten_while_a_build_reads_them(archive, argv):
    before = sorted(p.relative_to(archive) for p in archive.rglob("*.md"))
    with posts_held(archive, exclusive=False):  # what a build holds
        process = archive_verb(archive, *argv)
    assert process.returncode == ExitStatus.LOCKED and "a site build is reading the posts" in process.stderr
    assert sorted(p.relative_to(archive) for p in archive.rglob("*.md")) == before
    assert archive_verb(archive, *argv).returncode in (ExitStatus.OK, ExitStatus.FAILED)  # let go: it runs


def test_a_build_never_reads_posts_being_moved_or_rewritten(archive):
    with posts_held(archive, exclusive=True):  # what maintain holds
        process = archive_verb(archive, "build", "--no-search", "--out", str(archive / "_site"))
    assert process.returncode == ExitStatus.LOCKED and "maintain or doctor --fix is changing" in process.stderr
    assert not (archive / "_site").exists()


def test_reading_verbs_take_no_posts_lock(archive):
    with posts_held(archive, exclusive=True):
        assert archive_verb(archive, "export").returncode == ExitStatus.OK
        assert archive_verb(archive, "doctor").returncode in (ExitStatus.OK, ExitStatus.FAILED)
