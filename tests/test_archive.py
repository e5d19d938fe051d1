"""The archive on disk (crawler.archive.Archive): which files are posts, where a post goes, how it is written.

A post is a dated file named by its key in `_posts/` or `old_post/`; nothing else there is read,
not notes, FIFOs, symbolic links or loops. A post's path never leaves the archive, and a write
replaces a file whole or not at all.
"""

import os
from datetime import datetime

import pytest

from crawler.archive import Archive
from crawler.archive.index import post_files
from crawler.items import SHANGHAI


def test_index_reads_posts_and_old_posts(tmp_path):
    (tmp_path / "_posts" / "2022").mkdir(parents=True)
    (tmp_path / "_posts" / "2022" / "2022-01-21-NW202201212257099936.md").write_text("x")
    (tmp_path / "_posts" / "2022-05-30-202205302396671645.md").write_text("x")
    (tmp_path / "_posts" / "notes.md").write_text("x")
    (tmp_path / "old_post").mkdir()
    (tmp_path / "old_post" / "2019-01-07-NW201901071021057779.md").write_text("x")
    archive = Archive(tmp_path)
    assert archive.known == {"NW202201212257099936", "202205302396671645", "NW201901071021057779"}
    assert "NW201901071021057779" in archive


def test_post_path_is_safe(tmp_path):
    archive = Archive(tmp_path)
    day = datetime(2021, 12, 31, 23, 30, tzinfo=SHANGHAI)
    assert archive.post_path(day.astimezone(SHANGHAI), "NW1").name == "2021-12-31-NW1.md"
    assert (
        archive.post_path(datetime(2021, 12, 31, 16, 30, tzinfo=SHANGHAI).astimezone(tz=None), "NW1").parent
        == archive.posts_dir
    )
    for key in ("../../etc/passwd", "NW1/x", "", "a b"):
        with pytest.raises(ValueError):
            archive.post_path(day, key)
    with pytest.raises(ValueError):
        archive.write(tmp_path.parent / "outside.md", "x")


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path, monkeypatch):
    archive = Archive(tmp_path)
    target = tmp_path / "_posts" / "2021-12-31-NW1.md"
    archive.write(target, "first")

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError):
        archive.write(target, "second")
    assert target.read_text() == "first"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_walks_skip_fifos_symlinks_and_loops(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2021-12-31-NW202112312231871790.md").write_text("a post")
    os.mkfifo(posts / "2021-12-31-NW202112312231871791.md")  # would hang a reader
    (posts / "loop").symlink_to(".")  # would list every post again and again
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "2021-12-31-NW202112312231871792.md").write_text("not the archive's")
    (posts / "elsewhere").symlink_to(tmp_path / "outside")
    assert [p.name for p in post_files(posts)] == ["2021-12-31-NW202112312231871790.md"]
    assert "NW202112312231871792" not in Archive(tmp_path)
