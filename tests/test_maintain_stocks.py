"""`scrapy archive maintain --add-stocks`: the old archive's posts kept East Money's stock markup in
their bodies; each such post gets the `stocks:` line FINEWS_FRONT_MATTER_STOCKS writes, taken as the
article parser takes a page's (the body's marks, not the source line's), and not one other byte
changes. A post without markup (finews-crawler keeps only the text) or with `stocks:` already is
left alone, and counted."""

import shutil
import subprocess

import pytest

from crawler.archive import Archive
from crawler.tools.maintain import add_stocks
from fixtures.testing import scrapy_command
from tests.conftest import FIXTURES, REPO

# The real posts of the old archive (fixtures/reference/posts) whose bodies hold East Money's markup:
# quote-chart links (EmImageRemark, data-code "002752|0|2") and quote-page links.
TAGGED = {
    "2022-01-21-NW202201212257099936.md": '["0.002752"]',
    "2022-02-09-NW202202092271136373.md": '["0.002572"]',
    "2022-05-25-NW202205252390829633.md": '["1.600519"]',
    "2022-05-26-NW202205262391921712.md": '["106.NIO"]',
}


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "archive"
    (root / "_posts").mkdir(parents=True)
    (root / "old_post").mkdir()
    for number, post in enumerate(sorted((FIXTURES / "reference" / "posts").glob("*.md"))):
        shutil.copy(post, root / ("_posts" if number % 2 else "old_post") / post.name)
    return root


def posts(root):
    return {path.name: path.read_text(encoding="utf-8") for path in root.glob("*/*.md")}


def test_each_post_with_markup_gets_its_stocks_and_nothing_else_changes(archive):
    before = posts(archive)
    assert add_stocks(Archive(archive)) == (len(TAGGED), len(before) - len(TAGGED), {})
    after = posts(archive)
    for name, text in after.items():
        if name in TAGGED:
            line = f"stocks: {TAGGED[name]}\n"
            assert text.count(line) == 1 and text.replace(line, "") == before[name]
            assert text.index(line) < text.index("\n---\n", 4)  # in the front matter
        else:
            assert text == before[name]
    assert add_stocks(Archive(archive)) == (0, len(before) - len(TAGGED), {})  # once only
    assert posts(archive) == after


@pytest.mark.slow  # a scrapy process
def test_the_command_says_what_it_did_and_what_it_could_not(archive):
    command = scrapy_command("archive", "maintain", "--add-stocks", settings={"FINEWS_ARCHIVE_DIR": archive})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert f"named the stocks of {len(TAGGED)} posts in their front matter" in process.stdout
    assert "hold no East Money stock markup" in process.stdout


def test_a_front_matter_that_would_not_take_the_line_is_named_and_left_as_it_is(archive):
    """One flow mapping, or an indented mapping: the added line would break it (the post would be
    unreadable, and Jekyll would not see it): the post is named and not touched. CRLF stays CRLF."""
    chart = (FIXTURES / "reference" / "posts" / "2022-01-21-NW202201212257099936.md").read_text(encoding="utf-8")
    body = chart.split("\n---\n", 1)[1]
    odd = {
        "2022-01-22-NW202201220000000001.md": "---\n{layout: post, title: t, categories: x, tags: y}\n---\n" + body,
        "2022-01-22-NW202201220000000002.md": "---\n  layout: post\n  title: t\n  categories: x\n---\n" + body,
    }
    for name, text in odd.items():
        (archive / "_posts" / name).write_text(text, encoding="utf-8")
    crlf = archive / "_posts" / "2022-01-22-NW202201220000000003.md"
    crlf.write_bytes(chart.replace("\n", "\r\n").encode("utf-8"))
    _, _, unreadable = add_stocks(Archive(archive))
    assert sorted(path.name for path in unreadable) == sorted(odd)
    for name, text in odd.items():
        assert (archive / "_posts" / name).read_text(encoding="utf-8") == text
    assert b'stocks: ["0.002752"]\r\n---\r\n' in crlf.read_bytes()


def test_the_export_record_carries_the_secids_a_post_names(archive):
    from crawler.tools.posts import post_record

    add_stocks(Archive(archive))
    records = {path.name: post_record(path, archive) for path in archive.glob("*/*.md")}
    assert {name: records[name]["stocks"] for name in TAGGED} == {
        name: [value.strip('[]"')] for name, value in TAGGED.items()
    }
    hostile = archive / "_posts" / "2022-01-23-NW202201230000000001.md"
    hostile.write_text('---\ntitle: t\ncategories: x\ntags: y\nstocks: ["1.600030", "../x", 7, "1.600030", "90.BK1036"]'
                       "\n---\n<p>正文</p>\n", encoding="utf-8")  # fmt: skip
    assert post_record(hostile, archive)["stocks"] == ["1.600030"]
