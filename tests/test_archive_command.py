"""`scrapy archive export|maintain`: the archive's posts as JSON Lines; old posts moved, index pages restored."""

import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
from scrapy.exceptions import UsageError

from crawler.archive import Archive
from crawler.archive.render import render_fast_feed_index, render_post
from crawler.archive.slugs import category_slug
from crawler.items import SHANGHAI
from fixtures.testing import FIXTURE_SITE, scrapy_command, serve, synthesize
from tests.conftest import FIXTURES, REFERENCE, REPO, archive_command, make_article
from tests.crawl import archive_files, scrapy_crawl

EXPECTED = FIXTURES / "expected"  # what a first crawl of the mirror writes
MANIFEST = {a["id"]: a for a in json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))["articles"]}
EMNEWS_POST = REFERENCE / "posts/emnews/2022-05-30-202205302396671645.md"
ARTICLE_PATH_RE = re.compile(r"/a/\d{17,18}\.html")
TODAY_KEY = "NW209901010000000001"  # a post dated today
OLD_POST = "2018-04-17-NW20180417879488441.md"


@pytest.fixture
def archive(tmp_path):
    """The mirror's first-crawl archive, plus an emnews post and a per-media post of today."""
    root = tmp_path / "archive"
    shutil.copytree(EXPECTED, root)
    shutil.copy(EMNEWS_POST, root / "_posts")
    today = make_article(info_code=TODAY_KEY, published_at=datetime.now(SHANGHAI))
    post = render_post(today, category_slug(today.source), "{info_code}", "//s")
    Archive(root).add_post(today.published_at, TODAY_KEY, post)
    return root


def scrapy_archive(root, *argv) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", *argv, settings={"FINEWS_ARCHIVE_DIR": root})
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60)


@pytest.mark.slow
def test_export_lists_every_post_with_its_front_matter(archive, tmp_path):
    (archive / "old_post").mkdir()
    (archive / "_posts" / OLD_POST).rename(archive / "old_post" / OLD_POST)
    process = scrapy_archive(archive, "export", "-o", str(tmp_path / "posts.jsonl"))
    assert process.returncode == 0 and process.stdout == "", process.stderr
    raw = (tmp_path / "posts.jsonl").read_bytes()
    assert b"\\u" not in raw
    records = {r["key"]: r for r in map(json.loads, raw.decode("utf-8").splitlines())}
    posts = sorted(archive.glob("*/*.md"))
    assert sorted(r["path"] for r in records.values()) == sorted(p.relative_to(archive).as_posix() for p in posts)
    for record in records.values():
        assert list(record) == ["key", "date", "title", "source", "category", "path", "stocks"]
        truth = MANIFEST.get(record["key"].removeprefix("NW"))
        if record["key"].startswith("NW") and truth:  # the crawled posts: as the mirror's ground truth says
            assert record["date"] == truth["show_time"].replace(" ", "T") + "+08:00"
            assert (record["title"], record["source"]) == (truth["title"], truth["source"])
            assert record["category"] == truth["slug"]
    assert len(records) == 62 and records[TODAY_KEY]["source"] == "中国证券报·中证网"
    assert records["NW20180417879488441"]["path"] == "old_post/" + OLD_POST
    assert records["202205302396671645"] == {
        "key": "202205302396671645",
        "date": "2022-05-30T22:00:29+08:00",
        "title": "加拿大年金计划委员会手握190只中国股票 市值超500亿元",
        "source": "中国证券报",  # its source line holds a stock auto-link (the old archive kept them)
        "category": "emnews",
        "path": "_posts/2022-05-30-202205302396671645.md",
        "stocks": [],  # no `stocks:` in its front matter (maintain --add-stocks would give it some)
    }
    assert scrapy_archive(archive, "export").stdout.encode("utf-8") == raw  # the same on stdout


def test_export_skips_an_unreadable_post_and_says_so(archive, capsys):
    (archive / "_posts" / "2020-01-01-NW202001010000000001.md").write_text("no front matter", encoding="utf-8")
    assert archive_command(archive, "export") == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == len(list(archive.glob("_posts/*.md"))) - 1
    assert "2020-01-01-NW202001010000000001.md: no front matter" in err


@pytest.mark.slow
def test_old_posts_move_out_and_a_crawl_downloads_none_of_them(archive):
    before = archive_files(archive)
    process = scrapy_archive(archive, "maintain", "--move-older-than", "3")
    assert process.returncode == 0, process.stderr
    assert "moved 61 posts dated before" in process.stdout
    assert [p.name for p in (archive / "_posts").iterdir()] == [f"{datetime.now(SHANGHAI):%Y-%m-%d}-{TODAY_KEY}.md"]
    moved = {name.replace("_posts/", "old_post/", 1): text for name, text in before.items() if TODAY_KEY not in name}
    assert archive_files(archive) == {**moved, **{n: t for n, t in before.items() if TODAY_KEY in n}}

    server, base_url = serve()
    try:
        crawl = scrapy_crawl(base_url, archive)
    finally:
        server.shutdown()
    assert not [path for path in server.requested if ARTICLE_PATH_RE.search(path)]
    assert "new posts: 0" in crawl.stderr
    assert len(list((archive / "_posts").iterdir())) == 1


def test_posts_of_the_last_days_stay(archive, capsys):
    three_days_ago = f"{datetime.now(SHANGHAI) - timedelta(days=3):%Y-%m-%d}"
    (archive / "_posts" / EMNEWS_POST.name).rename(archive / "_posts" / f"{three_days_ago}-202205302396671645.md")
    assert archive_command(archive, "maintain", "--move-older-than", "3") == 0
    assert len(list((archive / "_posts").iterdir())) == 2  # today's and the one of 3 days ago
    assert archive_command(archive, "maintain", "--move-older-than", "0") == 0
    assert [p.name[11:] for p in (archive / "_posts").iterdir()] == [f"{TODAY_KEY}.md"]


def test_missing_category_pages_are_written_as_the_writer_writes_them(archive, capsys):
    for page in ("category/cailianshe.html", "category/zhongguozhengquanbao·zhongzhengwang.html"):
        (archive / page).unlink()
    kept = (archive / "category/diyicaijing.html").stat().st_mtime_ns
    assert archive_command(archive, "maintain", "--fix-categories") == 0
    for page in ("category/cailianshe.html", "category/zhongguozhengquanbao·zhongzhengwang.html"):
        assert (archive / page).read_text(encoding="utf-8") == (EXPECTED / page).read_text(encoding="utf-8")
    assert (archive / "emnews/index.html").read_text(encoding="utf-8") == render_fast_feed_index()
    assert (archive / "category/diyicaijing.html").stat().st_mtime_ns == kept
    assert "3 missing index pages written" in capsys.readouterr().out
    assert archive_command(archive, "maintain", "--fix-categories") == 0
    assert "0 missing index pages written" in capsys.readouterr().out


@pytest.mark.slow
def test_maintenance_never_runs_while_a_crawl_writes(archive):
    crawl = Archive(archive, feed="eastmoney_724")
    crawl.lock()
    try:
        process = scrapy_archive(archive, "maintain", "--move-older-than", "3", "--fix-categories")
    finally:
        crawl.unlock()
    assert process.returncode == 3
    assert "another run is writing" in process.stderr and "nothing was done" in process.stderr
    assert len(list((archive / "_posts").iterdir())) == 62


def test_maintenance_keeps_an_interrupted_crawl_known(archive):
    (archive / ".finews.eastmoney.lock").write_text("running pid 1\n")
    assert archive_command(archive, "maintain", "--fix-categories") == 0
    crawl = Archive(archive, feed="eastmoney")
    crawl.lock()
    assert crawl.last_run_interrupted  # the next crawl still reads all its pages to fill the gap
    crawl.unlock()


def test_an_archive_that_is_not_writable_is_exit_status_6(archive, capsys):
    (archive / "old_post").write_text("a file where the old-posts folder should be")
    assert archive_command(archive, "maintain", "--move-older-than", "3") == 6
    assert "the archive is not writable" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "say which verb: one of init, export, maintain, build, publish, doctor"),
        (["tidy"], "say which verb \\(not 'tidy'\\): one of init, export, maintain, build, publish, doctor"),
        (["maintain"], "needs --move-older-than DAYS, --fix-categories, --add-stocks or more"),
        (["maintain", "--move-older-than", "-1"], "0 or more days"),
        (["maintain", "--fix-categories", "-o", "x"], "-o/--output belongs to export, not maintain"),
        (["export", "--fix-categories"], "--fix-categories belongs to maintain, not export"),
        (["build", "--fix"], "--fix belongs to doctor, not build"),
        (["export", "extra"], "export takes no argument 'extra'"),
        (["maintain", "--move-older-than", "soon"], "0 or more days"),
    ],
)
def test_usage_errors(archive, argv, message):
    with pytest.raises(UsageError, match=message):
        archive_command(archive, *argv)


@pytest.mark.slow
def test_no_archive_is_a_usage_error_with_exit_status_2(tmp_path):
    process = scrapy_archive(tmp_path / "nothing", "export")
    assert process.returncode == 2 and "no archive at" in process.stderr and process.stdout == ""


@pytest.mark.slow
def test_export_never_dies_on_one_post_and_never_hangs(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2021-12-31-NW202112312231871790.md").write_text(
        '---\nlayout: post\ntitle: "坏\\uD800标题"\ndate: 2021-12-31 06:49:26 +0800\ncategories: x\ntags: x新闻\n---\n'
    )  # an old archive's escape of a lone surrogate: Jekyll's YAML (libyaml) refuses it, so does every command
    (posts / "2021-12-31-NW202112312231871791.md").write_text(
        "---\nlayout: post\ntitle: 好\ndate: 2021-12-31 06:49:26 +0800\ncategories: x\ntags: x新闻\n---\n"
    )
    os.mkfifo(posts / "2021-12-31-NW202112312231871792.md")
    command = scrapy_command("archive", "export", settings={"FINEWS_ARCHIVE_DIR": tmp_path})
    process = subprocess.run(command, cwd=REPO, capture_output=True, timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    records = [json.loads(line) for line in process.stdout.decode().splitlines()]
    assert [r["title"] for r in records] == ["好"]
    assert "skipped" in process.stderr.decode() and "NW202112312231871790" in process.stderr.decode()


@pytest.mark.slow
def test_maintain_restores_the_pages_of_moved_posts(tmp_path):
    root = tmp_path / "archive"
    synthesize(tmp_path / "site", 3)
    server, base_url = serve(tmp_path / "site")
    try:
        scrapy_crawl(base_url, root, "categories=350")
    finally:
        server.shutdown()
    for page in (root / "category").iterdir():
        page.unlink()
    command = scrapy_command("archive", "maintain", "--move-older-than", "0", "--fix-categories",
                             settings={"FINEWS_ARCHIVE_DIR": root})  # fmt: skip
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert not list((root / "_posts").glob("*.md")) and list((root / "old_post").glob("*.md"))
    assert len(list((root / "category").iterdir())) >= 1
