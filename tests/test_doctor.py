"""`scrapy archive doctor` on an archive as the old scripts left it (fixtures/old_archive.py).

Every defect class is found, --fix repairs each one and nothing else (every other byte of every
file stays, line endings and missing final newlines included), moves what it must into the
quarantine without deleting anything, a second doctor finds no problem, and real Jekyll then
builds every post of both folders as a post.
"""

import json
import subprocess
from pathlib import Path

import pytest

from crawler.archive.render import render_category_page
from fixtures.old_archive import expected_findings, make_old_archive
from fixtures.testing import scrapy_command
from tests.conftest import REPO, need_tool

pytestmark = pytest.mark.slow  # each test runs `scrapy archive doctor` (and real Jekyll) as a process

QUARANTINE = "_finews_quarantine"


def doctor(root: Path, *options: str, status: int | None = None) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", "doctor", *options, settings={"FINEWS_ARCHIVE_DIR": root})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert status is None or process.returncode == status, process.stdout + process.stderr[-3000:]
    return process


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".finews.")}  # fmt: skip


@pytest.fixture
def old(tmp_path):
    return make_old_archive(tmp_path / "archive")


def test_every_defect_is_found_and_named(old):
    process = doctor(old, "--report", str(old.parent / "report.json"), status=1)
    found = json.loads((old.parent / "report.json").read_text(encoding="utf-8"))["findings"]
    by_kind: dict[str, set[str]] = {}
    for finding in found:
        by_kind.setdefault(finding["kind"], set()).add(finding["file"])
        assert finding["fixed"] is False
    assert by_kind == expected_findings()
    assert "10 posts, 9 pages: 9 problems, 3 notes" in process.stdout
    assert files_of(old) == files_of(make_old_archive(old.parent / "again"))  # a check changes nothing


def test_fix_repairs_each_defect_and_nothing_else(old):
    before = files_of(old)
    doctor(old, "--fix", "--report", str(old.parent / "report.json"), status=0)
    report = json.loads((old.parent / "report.json").read_text(encoding="utf-8"))["findings"]
    assert all(f["fixed"] for f in report if f["fixable"]) and not [
        f for f in report if f["fixable"] and not f["fixed"]
    ]
    after = files_of(old)
    moved = {name: data for name, data in after.items() if name.startswith(QUARANTINE + "/")}
    assert {name.removeprefix(QUARANTINE + "/"): data for name, data in moved.items()} == {
        name: before[name]
        for name in (
            "_posts/-202205262391921712.md",
            "_posts/.finews-eastmoney-k2j3h4l5.tmp",
            "old_post/2022-05-30-202205302396671645.md",
        )
    }  # fmt: skip  (moved, byte for byte, never deleted)
    changed = {name for name in before if name in after and after[name] != before[name]}
    assert changed == {"old_post/2022-02-09-NW202202092271136373.md", "old_post/2022-04-21-NW202204212352188819.md",
                       "category/cailianshe.html", "category/zhongguozhengquanbao·zhongzhengwang.html"}  # fmt: skip
    for name in changed:  # one line rewritten or added; every other byte as it was
        old_lines, new_lines = before[name].split(b"\n"), after[name].split(b"\n")
        assert len(set(new_lines) - set(old_lines)) == 1 and len(set(old_lines) - set(new_lines)) <= 1
        assert before[name].count(b"\r\n") == after[name].count(b"\r\n")
        assert before[name].endswith(b"\n") == after[name].endswith(b"\n")
    broken = after["old_post/2022-02-09-NW202202092271136373.md"].decode()
    assert 'title: "每日\\"热点\\"追踪 C:\\\\盘面"' in broken
    assert b"title: " + "财联社新闻".encode() in after["category/cailianshe.html"]
    assert after["category/meirijingjixinwen.html"].decode().startswith("---\nlayout: category\ntitle: ")
    assert "每日经济新闻新闻" in after["category/meirijingjixinwen.html"].decode()
    assert "emnews/index.html" in after
    for name in ("category/TechWeb.html", "category/Techweb.html"):  # cannot be judged: untouched
        assert after[name] == before[name]
    second = doctor(old, status=0)
    assert ": 0 problems, 3 notes" in second.stdout and "problem " not in second.stdout


def test_the_repaired_archive_builds_with_every_post_of_both_folders(old):
    need_tool("jekyll")
    doctor(old, "--fix", status=0)
    build = subprocess.run(scrapy_command("archive", "build", "--no-search", settings={"FINEWS_ARCHIVE_DIR": old}),
                           cwd=REPO, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    posts = [p for folder in ("_posts", "old_post") for p in (old / folder).glob("*.md")]
    assert len(posts) == 9
    for post in posts:
        year, month, day, name = post.name.split("-", 3)
        assert (old / "_site" / year / month / day / name.replace(".md", ".html")).is_file(), post.name
    assert not (old / "_site" / QUARANTINE).exists()


def test_the_build_of_the_unrepaired_archive_fails_on_the_broken_title(old):
    need_tool("jekyll")
    build = subprocess.run(scrapy_command("archive", "build", "--no-search", settings={"FINEWS_ARCHIVE_DIR": old}),
                           cwd=REPO, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert build.returncode == 1 and "2022-02-09-NW202202092271136373.md" in build.stderr


def test_pages_and_posts_doctor_cannot_judge_are_named_not_touched(old):
    odd = {"category/cailianshe.html": b"---\nlayout: category\n---"}  # no title line: Jekyll reads it
    for name, data in odd.items():
        (old / name).write_bytes(data)
    (old / "_posts" / "notes.txt").write_text("not a post")
    process = doctor(old, "--fix", status=0)
    assert "note     bad_index_page        category/cailianshe.html" in process.stdout
    assert "note     skipped_name          _posts/notes.txt" in process.stdout
    assert {name: (old / name).read_bytes() for name in odd} == odd
    assert "Traceback" not in process.stderr


def test_an_index_page_jekyll_cannot_read_is_written_again_and_kept_in_the_quarantine(old):
    page = old / "category" / "zhengquanshibao.html"
    original = "---\nlayout: category\ntitle: 证券时报新闻\ncategory: zhengquanshibao\n---".encode("gbk")
    page.write_bytes(original)  # an old script's encoding: Jekyll stops at it ("invalid byte sequence")
    process = doctor(old, "--fix", status=0)
    assert "fixed    unreadable_page       category/zhengquanshibao.html: not UTF-8" in process.stdout
    assert (old / QUARANTINE / "category" / "zhengquanshibao.html").read_bytes() == original
    assert page.read_text(encoding="utf-8") == render_category_page("证券时报", "zhengquanshibao")


def test_a_symlinked_quarantine_is_refused(old, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (old / QUARANTINE).symlink_to(outside)
    before = files_of(old)
    process = doctor(old, "--fix", status=6)
    assert "is a symbolic link" in process.stderr and not any(outside.iterdir())
    assert files_of(old) == before  # refused before any repair


def findings_of(root: Path, *options: str) -> dict[str, set[str]]:
    report = root.parent / "findings.json"
    doctor(root, *options, "--report", str(report))
    found: dict[str, set[str]] = {}
    for finding in json.loads(report.read_text(encoding="utf-8"))["findings"]:
        found.setdefault(finding["file"], set()).add(finding["kind"])
    return found


def test_what_the_site_publishes_is_checked_as_jekyll_and_a_browser_read_it(old):
    """Every file the build publishes is read where a browser or Jekyll reads more than Python would."""
    script = b"<html><body><script>alert(1)</script></body></html>"
    files = {
        "tagged.md": b"---\ndescription: !foo x\n---\n<script>alert(1)</script>\n",  # Psych reads `!foo x`
        "long.md": b"---" + b" " * 5000 + b"\n---\n<script>alert(1)</script>\n",  # a page: its whole first line
        "latin1.html": script.replace(b"<body>", b"<body>\xff"),  # static, not UTF-8
        "utf16.html": "\ufeff<html><script>alert(1)</script></html>".encode("utf-16-le"),
        "vendor/v.html": script,  # Jekyll leaves out vendor/bundle, vendor/cache, ... not all of vendor/
        "a/node_modules/n.html": script,  # only the top-level node_modules
    }
    quiet = {"node_modules/x.html": script, "vendor/bundle/x.html": script, "_data/x.html": script}
    for name, data in {**files, **quiet}.items():
        (old / name).parent.mkdir(parents=True, exist_ok=True)
        (old / name).write_bytes(data)
    found = findings_of(old)
    assert {name for name in files if "executable_content" in found.get(name, set())} == set(files)
    assert not set(quiet) & set(found)


def test_files_the_build_skips_and_config_keys_it_leaves_out_are_named(old, tmp_path):
    outside = tmp_path / "secret.scss"
    outside.write_text("p { color: red }\n", encoding="utf-8")
    (old / "_data").mkdir()
    (old / "_data" / "bad.yml").write_text("a: [b\n", encoding="utf-8")
    (old / "assets").mkdir(exist_ok=True)
    (old / "assets" / "leak.scss").write_text(f'---\n---\n@import "{outside}";\n', encoding="utf-8")
    (old / "_config.yml").write_text("title: 我的\nplugins: [jekyll-feed]\nkramdown: {parse_block_html: true}\n")
    found = findings_of(old)
    assert found["_data/bad.yml"] == {"unusable_file"} and found["assets/leak.scss"] == {"unusable_file"}
    assert found["_config.yml"] == {"config_not_honoured"}
    (old / "_config.yml").write_text("title: [broken\n", encoding="utf-8")
    assert findings_of(old)["_config.yml"] == {"bad_config"}


def test_values_python_cannot_make_are_read_as_jekyll_reads_them_without_a_traceback(old):
    post = next((old / "_posts").glob("*.md"))
    post.write_text(post.read_text(encoding="utf-8").replace("\n---\n", "\nextra: 2024-02-30\n---\n", 1), "utf-8")
    (old / "_data").mkdir()
    (old / "_data" / "x.yml").write_text("d: 2024-13-45\n", encoding="utf-8")
    (old / "big.md").write_text("---\nn: " + "1" * 5000 + "\n---\n大数\n", encoding="utf-8")
    (old / "_config.yml").write_text("title: 2024-13-45\n", encoding="utf-8")
    process = doctor(old)
    assert "Traceback" not in process.stderr and process.stderr == "", process.stderr
    assert not [line for line in process.stdout.splitlines() if "bad_front_matter" in line and post.name in line]


XML_SCRIPT = "<script xmlns='http://www.w3.org/1999/xhtml'>alert(1)</script>"


@pytest.mark.parametrize(
    "name, data",
    [
        ("ent.xml", f'<!DOCTYPE r [<!ENTITY e "{XML_SCRIPT.replace("<", "&#60;")}">]><r>&e;</r>'.encode()),
        ("feed.xml", b'<?xml-stylesheet type="text/xsl" href="style.png"?><feed/>'),
        ("u16.xml", f'<?xml version="1.0" encoding="UTF-16"?><r>{XML_SCRIPT}</r>'.encode("utf-16-le")),
        ("u16be.xml", f'<?xml version="1.0" encoding="UTF-16"?><r>{XML_SCRIPT}</r>'.encode("utf-16-be")),
        ("jp.html", b'<meta charset="ISO-2022-JP"><img src=x \x1b$B a="\x1b(B onerror=alert(1)//">'),
        ("page.xhtm", f"<html xmlns='http://www.w3.org/1999/xhtml'><body>{XML_SCRIPT}</body></html>".encode()),
    ],
)
def test_a_static_document_is_read_in_every_encoding_and_form_a_browser_reads(old, name, data):
    (old / name).write_bytes(data)
    assert "executable_content" in findings_of(old).get(name, set())
