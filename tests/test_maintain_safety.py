"""What maintenance promises however the archive was tampered with: nothing written outside, nothing replaced.

- A move or a write never passes through a symbolic link below the archive's root: the post it
  concerns stays where it is and is named, the others move (the root itself may be a link).
- A move never replaces a file: a post whose copy is in the old-posts folder stays, named, for
  `scrapy archive doctor` (duplicate_key) to settle.
- The archive's own files (a feed's lock, its worker id) are regular files or the archive is
  refused (exit status 6, naming the file); reading a worker id never blocks.
- A category whose page name would be too long (or no file name) is unsafe: the post is skipped and
  named by maintain, reported by doctor, and every other page is still written.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.archive import ARTICLES, Archive
from crawler.archive.slugs import MAX_SLUG_BYTES
from crawler.archive.store import ArchiveLinked
from fixtures.testing import scrapy_command
from tests.conftest import FIXTURES, REPO, archive_command

EXPECTED = FIXTURES / "expected"
OF_2018 = sorted(p.name for p in (EXPECTED / "_posts").glob("2018-*.md"))  # 4 posts
POSTS = len(list((EXPECTED / "_posts").glob("*.md")))  # 60, all older than 3 days


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(EXPECTED, root)
    return root


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- A: never through a symbolic link ----------------------------------------------------------------
def test_a_move_never_follows_a_symlinked_subfolder_out(archive, outside, capsys):
    (archive / "_posts" / "2018").mkdir()
    for name in OF_2018:
        (archive / "_posts" / name).rename(archive / "_posts" / "2018" / name)
    (archive / "old_post").mkdir()
    (archive / "old_post" / "2018").symlink_to(outside)
    assert archive_command(archive, "maintain", "--move-older-than", "3") == 0
    out, err = capsys.readouterr()
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in (archive / "_posts" / "2018").iterdir()) == OF_2018  # left where they were
    for name in OF_2018:
        assert f"not moved _posts/2018/{name}: {archive / 'old_post' / '2018'} is a symbolic link" in err
    assert f"moved {POSTS - len(OF_2018)} posts" in out  # the others moved
    assert len(list((archive / "old_post").glob("*.md"))) == POSTS - len(OF_2018)


def test_a_link_that_stays_inside_the_archive_is_not_passed_through_either(archive, capsys):
    (archive / "_posts" / "2018").mkdir()
    (archive / "_posts" / OF_2018[0]).rename(archive / "_posts" / "2018" / OF_2018[0])
    (archive / "old_post").mkdir()
    (archive / "old_post" / "2018").symlink_to(archive / "category")
    assert archive_command(archive, "maintain", "--move-older-than", "3") == 0
    assert "is a symbolic link" in capsys.readouterr().err
    assert (archive / "_posts" / "2018" / OF_2018[0]).is_file()
    assert not list((archive / "category").glob("*.md"))


def test_no_write_or_move_of_the_archive_passes_through_a_link(archive, outside):
    (archive / "category" / "deeper").symlink_to(outside)
    (archive / "old_post").mkdir()
    (archive / "old_post" / "2019").symlink_to(outside)
    store = Archive(archive)
    with pytest.raises(ArchiveLinked, match="deeper is a symbolic link"):
        store.write(archive / "category" / "deeper" / "x.html", "x")
    with pytest.raises(ArchiveLinked, match="2019 is a symbolic link"):
        store.move(archive / "_posts" / OF_2018[0], archive / "old_post" / "2019" / "x.md")
    (archive / "category" / "page.html").symlink_to(outside / "page.html")
    with pytest.raises(ArchiveLinked, match=r"page\.html is a symbolic link"):
        store.write(archive / "category" / "page.html", "x")
    with pytest.raises(ValueError, match="outside the archive"):
        store.move(archive / "_posts" / OF_2018[0], archive / ".." / "moved.md")
    assert list(outside.iterdir()) == [] and (archive / "_posts" / OF_2018[0]).is_file()


def test_doctor_never_quarantines_through_a_link(archive, outside, capsys):
    (archive / "_posts" / ".finews-eastmoney-k2j3h4l5.tmp").write_text("half a post")
    (archive / "_finews_quarantine").mkdir()
    (archive / "_finews_quarantine" / "_posts").symlink_to(outside)
    assert archive_command(archive, "doctor", "--fix") == 6
    assert "_posts is a symbolic link" in capsys.readouterr().err
    assert list(outside.iterdir()) == [] and (archive / "_posts" / ".finews-eastmoney-k2j3h4l5.tmp").is_file()


# --- B: never over a file -------------------------------------------------------------------------------
def test_a_move_never_replaces_the_copy_in_the_old_posts_folder(archive, capsys):
    (archive / "old_post").mkdir()
    copy = archive / "old_post" / OF_2018[0]
    copy.write_bytes(b"another generation of the post")
    before = (archive / "_posts" / OF_2018[0]).read_bytes()
    assert archive_command(archive, "maintain", "--move-older-than", "3") == 0
    out, err = capsys.readouterr()
    assert copy.read_bytes() == b"another generation of the post"
    assert (archive / "_posts" / OF_2018[0]).read_bytes() == before
    assert f"not moved _posts/{OF_2018[0]}: already in old_post/: run scrapy archive doctor" in err
    assert f"moved {POSTS - 1} posts" in out
    assert archive_command(archive, "doctor") == 1  # the duplicate is doctor's to settle
    assert f"problem  duplicate_key         old_post/{OF_2018[0]}" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["file", "dangling link", "fifo", "folder"])
def test_the_archive_moves_nothing_over_whatever_is_there(archive, outside, kind):
    target = archive / "old_post" / OF_2018[0]
    target.parent.mkdir()
    make = {"file": lambda: target.write_text("x"), "dangling link": lambda: target.symlink_to(outside / "gone"),
            "fifo": lambda: os.mkfifo(target), "folder": target.mkdir}  # fmt: skip
    make[kind]()
    with pytest.raises((FileExistsError, ArchiveLinked)):  # a link there is refused as a link
        Archive(archive).move(archive / "_posts" / OF_2018[0], target)
    assert (archive / "_posts" / OF_2018[0]).is_file() and list(outside.iterdir()) == []


# --- F: the archive's own files are regular files ----------------------------------------------------------
def in_a_process(root: Path, code: str) -> subprocess.CompletedProcess:
    """Run `code` (with `archive`, an Archive of `root`) in a process of its own: a read that blocks fails the test."""
    prelude = "import sys\nfrom crawler.archive import Archive\narchive = Archive(sys.argv[1], feed='eastmoney')\n"
    return subprocess.run([sys.executable, "-c", prelude + code, str(root)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize("own", [".finews.eastmoney.worker", ".finews.eastmoney_724.worker",
                                 ".finews.eastmoney.lock", ".finews.eastmoney_724.lock"])  # fmt: skip
@pytest.mark.parametrize("odd", ["fifo", "folder"])
def test_an_own_file_that_is_no_regular_file_is_refused_by_name(archive, own, odd):
    (os.mkfifo if odd == "fifo" else os.mkdir)(archive / own)
    run = in_a_process(archive, "archive.lock(crawl=False)")
    assert run.returncode == 1 and f"ArchiveLinked: {archive / own} is not a regular file" in run.stderr


@pytest.mark.parametrize("call", ["archive.worker_id()", "archive.worker_ids()", "archive.worker_name()"])
def test_reading_a_worker_id_never_blocks(archive, call):
    os.mkfifo(archive / ".finews.eastmoney.worker")
    run = in_a_process(archive, call)
    assert run.returncode == 1 and "is not a regular file" in run.stderr


def test_a_worker_id_is_read_made_and_kept_as_before(archive):
    store = Archive(archive, feed="eastmoney")
    made = store.worker_id()
    assert (archive / ".finews.eastmoney.worker").read_text() == made + "\n"
    assert store.worker_id() == made and store.worker_ids() == {made}
    (archive / ".finews.eastmoney.worker").write_bytes(b"\xff not an id")
    assert store.worker_ids() == set() and store.worker_id() != made  # an unreadable id is replaced


@pytest.mark.slow
@pytest.mark.parametrize("own", [".finews.eastmoney.worker", ".finews.eastmoney.lock"])
def test_commands_say_which_own_file_is_a_fifo_and_exit_6(archive, own):
    os.mkfifo(archive / own)
    for argv in (["archive", "maintain", "--fix-categories"], ["seed_redis"]):
        settings = {"FINEWS_ARCHIVE_DIR": archive, "FINEWS_REDIS_URL": "redis://127.0.0.1:9/0"}
        process = subprocess.run(scrapy_command(*argv, settings=settings if argv == ["seed_redis"] else
                                                {"FINEWS_ARCHIVE_DIR": archive}),
                                 cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert process.returncode == 6, process.stderr[-2000:]
        assert f"{archive / own} is not a regular file" in process.stderr
        assert "Traceback" not in process.stderr


# --- G: a category page name that cannot be a file name --------------------------------------------------
def test_a_category_too_long_for_a_page_name_is_unsafe():
    assert ARTICLES.index_path("a" * MAX_SLUG_BYTES) == f"category/{'a' * MAX_SLUG_BYTES}.html"
    assert ARTICLES.index_path("中" * (MAX_SLUG_BYTES // 3))  # counted in bytes
    for unsafe in ("a" * (MAX_SLUG_BYTES + 1), "中" * (MAX_SLUG_BYTES // 3 + 1), "c" * 300, "a\0b", "a/b", ".a", ""):
        with pytest.raises(ValueError, match="unsafe category"):
            ARTICLES.index_path(unsafe)


def long_category_post(root: Path) -> Path:
    post = root / "_posts" / "2021-12-31-NW202112312231871799.md"
    post.write_text(
        "---\nlayout: post\ntitle: 长\ndate: 2021-12-31 06:49:26 +0800\n"
        f"categories: {'c' * 300}\ntags: 长新闻\n---\n<p>正文</p>\n",
        encoding="utf-8",
    )
    return post


def test_maintain_skips_a_post_whose_category_page_name_is_too_long_and_writes_the_rest(archive, capsys):
    pages = sorted(p.name for p in (archive / "category").iterdir())
    shutil.rmtree(archive / "category")
    post = long_category_post(archive)
    assert archive_command(archive, "maintain", "--fix-categories") == 0
    out, err = capsys.readouterr()
    assert f"skipped {post}: unsafe category 'cccc" in err
    assert sorted(p.name for p in (archive / "category").iterdir()) == pages  # every other page written
    assert f"{len(pages)} missing index pages written" in out


def test_doctor_reports_a_post_whose_category_page_name_is_too_long(archive, capsys):
    post = long_category_post(archive)
    assert archive_command(archive, "doctor", "--fix", "--report", str(archive.parent / "report.json")) == 1
    found = json.loads((archive.parent / "report.json").read_text(encoding="utf-8"))["findings"]
    assert [(f["kind"], f["file"], f["fixed"]) for f in found] == [("bad_field", f"_posts/{post.name}", False)]
    assert "unsafe category" in found[0]["detail"] and len(found[0]["detail"]) <= 300
    assert files_of(archive / "category") == files_of(EXPECTED / "category")  # nothing written for it
