"""The one front-matter reader: it reads exactly what Jekyll reads, and every command reads a post through it."""

import json
import subprocess

import pytest

from crawler.archive.frontmatter import NoFrontMatter, front_matter_text, read_front_matter
from fixtures.testing import scrapy_command
from tests.conftest import REPO, need_tool

POST = "layout: post\ntitle: 标题\ndate: 2021-12-31 06:49:26 +0800\ncategories: zhongguozhengquanbao\ntags: 中国证券报新闻\n"
BODY = '\n<p class="em_media">（文章来源：中国证券报）</p>\n'

# Files Jekyll reads as a post with front matter, and files it does not (it copies them as they are).
READ = {
    "plain": f"---\n{POST}---\n{BODY}",
    "closing line with trailing spaces": f"---\n{POST}---  \n{BODY}",
    "both lines with a trailing tab": f"---\t\n{POST}---\t\n{BODY}",
    "CRLF line ends": f"---\r\n{POST.replace(chr(10), chr(13) + chr(10))}---\r\n{BODY}",
    "closing with ...": f"---\n{POST}...\n{BODY}",
    "no body": f"---\n{POST}---",
}
NOT_READ = {
    "no opening line": f"{POST}---\n{BODY}",
    "no closing line": f"---\n{POST}{BODY}",
    "opening line with text after it": f"--- x\n{POST}---\n{BODY}",
    "indented closing line": f"---\n{POST} ---\n{BODY}",
    "closing line with a no-break space": f"---\n{POST}---\u00a0\n{BODY}",
    "closing line with an ideographic space": f"---\n{POST}---\u3000\n{BODY}",
}


@pytest.mark.parametrize("text", READ.values(), ids=READ.keys())
def test_what_jekyll_reads_is_read(text):
    read = read_front_matter(text)
    assert read.fields["title"] == "标题" and read.fields["tags"] == "中国证券报新闻"
    assert text[read.body_at :].strip() in (BODY.strip(), "")  # the body, as Jekyll cuts it
    assert front_matter_text(text) == text[: read.closing_at]


@pytest.mark.parametrize("text", NOT_READ.values(), ids=NOT_READ.keys())
def test_what_jekyll_does_not_read_is_refused_with_a_reason(text):
    with pytest.raises(NoFrontMatter):
        read_front_matter(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\n- a list\n---\n", "not a mapping"),
        ('---\ntitle: "a"b"\n---\n', "YAML"),
        ("---\n" + "[" * 5000 + "\n---\n", "YAML"),
    ],
)
def test_front_matter_that_is_no_mapping_is_refused(text, reason):
    with pytest.raises(NoFrontMatter, match=reason):
        read_front_matter(text)


def test_an_empty_front_matter_is_one_with_no_fields():
    assert read_front_matter("---\n---\nbody").fields == {}


@pytest.fixture
def archive_with_every_form(tmp_path):
    posts = tmp_path / "_posts"
    posts.mkdir()
    for number, text in enumerate([*READ.values(), *NOT_READ.values()]):
        (posts / f"2021-12-31-NW2021123122318717{number:02d}.md").write_bytes(text.encode("utf-8"))
    return tmp_path


def archive(root, *argv) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", *argv, settings={"FINEWS_ARCHIVE_DIR": root})
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.mark.slow
def test_export_maintain_and_doctor_read_the_same_posts(archive_with_every_form):
    root = archive_with_every_form
    exported = archive(root, "export")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == len(READ)
    assert exported.stderr.count("skipped") == len(NOT_READ) + 1  # each, and the count
    maintained = archive(root, "maintain", "--fix-categories")
    assert maintained.returncode == 0 and (root / "category/zhongguozhengquanbao.html").is_file()
    doctor = archive(root, "doctor", "--report", str(root.parent / "report.json"))
    findings = json.loads((root.parent / "report.json").read_text(encoding="utf-8"))["findings"]
    unreadable = {f["file"] for f in findings if f["kind"] == "bad_front_matter"}
    assert len(unreadable) == len(NOT_READ), doctor.stdout


@pytest.mark.slow
def test_jekyll_itself_reads_the_same_posts(tmp_path):
    """The spec's source: a real `jekyll build` renders exactly the posts the reader reads."""
    need_tool("jekyll")
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("permalink: /:title.html\n", encoding="utf-8")
    cases = {**{k: (v, True) for k, v in READ.items()}, **{k: (v, False) for k, v in NOT_READ.items()}}
    for number, (text, _) in enumerate(cases.values()):
        (site / "_posts" / f"2021-12-31-p{number}.md").write_bytes(text.encode("utf-8"))
    built = subprocess.run(
        ["jekyll", "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    for number, (name, (_, read)) in enumerate(cases.items()):
        page = site / "_site" / f"p{number}.html"  # a file Jekyll does not read is copied as it is
        rendered = page.is_file() and "title:" not in page.read_text(encoding="utf-8")  # its front matter was read
        assert rendered == read, name
