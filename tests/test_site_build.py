"""`scrapy archive build`: every post of both folders on the site, paged lists, search, the archive's own theme.

Real Jekyll (Debian's 4.3.1 under CI) and real Pagefind build archives written in the crawler's
format (fixtures.testing.synthesize_archive).
"""

import hashlib
import json
import re
import shutil
import subprocess

import lxml.html
import pytest

from fixtures.testing import scrapy_command, synthesize_archive
from tests.conftest import REPO, need_tool

pytestmark = pytest.mark.slow  # real `scrapy archive build` (Jekyll, Pagefind) and ruby processes

POSTS, SOURCES = 1400, 10  # one source holds half the posts: 700, two pages of 500 and 200
POST_LINK = re.compile(r"^/\d{4}/\d\d/\d\d/[^/]+\.html$")


def archive_build(root, *options: str, status: int = 0) -> subprocess.CompletedProcess:
    command = scrapy_command("archive", "build", *options, settings={"FINEWS_ARCHIVE_DIR": root})
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert process.returncode == status, process.stdout + process.stderr[-3000:]
    return process


def post_url(path) -> str:
    """A post's URL from its file name (_config.yml's permalink): the same in either folder."""
    year, month, day, name = path.name.split("-", 3)
    return f"/{year}/{month}/{day}/{name.removesuffix('.md')}.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    need_tool("jekyll")
    root = tmp_path_factory.mktemp("build") / "archive"
    by_slug = synthesize_archive(root, POSTS, sources=SOURCES, big_share=0.5)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    process = archive_build(root)
    return root, root / "_site", by_slug, before, process


def links_of(page) -> list[str]:
    return lxml.html.fromstring(page.read_bytes()).xpath("//main//a/@href")


def test_every_post_of_both_folders_gets_its_page(built):
    _, site, by_slug, _, process = built
    files = [p for paths in by_slug.values() for p in paths]
    assert len(files) == POSTS and any(p.parent.name == "old_post" for p in files)
    assert not [p for p in files if not (site / post_url(p).lstrip("/")).is_file()]
    assert f"{POSTS} posts" in process.stdout


def test_the_build_writes_nothing_into_the_archive_but_the_site(built):
    root, _, _, before, _ = built
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and "_site" not in p.relative_to(root).parts}
    assert after == before


def test_a_source_with_many_posts_is_paged_newest_first(built):
    _, site, by_slug, _, _ = built
    slug = max(by_slug, key=lambda s: len(by_slug[s]))
    first, second = site / "category" / f"{slug}.html", site / "category" / slug / "page2.html"
    posts = [href for href in links_of(first) if POST_LINK.match(href)]
    assert posts == [post_url(p) for p in by_slug[slug][:500]]
    assert f"/category/{slug}/page2.html" in links_of(first)
    rest = [href for href in links_of(second) if POST_LINK.match(href)]
    assert rest == [post_url(p) for p in by_slug[slug][500:]]
    assert by_slug[slug][-1].parent.name == "old_post"  # page 2 leads to the old posts
    assert f"/category/{slug}.html" in links_of(second)  # back to page 1


def test_no_page_lists_a_thousand_posts(built):
    _, site, _, _, _ = built
    counts = {str(p.relative_to(site)): sum(map(bool, map(POST_LINK.match, links_of(p)))) for p in site.rglob("*.html")}
    assert max(counts.values()) <= 500
    assert counts["index.html"] == 100  # the newest posts; the rest through sources, months, search
    assert {"sources.html", "archive/index.html", "archive/2022/01/index.html", "search.html"} <= set(counts)


def test_the_home_page_leads_to_every_source_and_month(built):
    _, site, by_slug, _, _ = built
    sources = links_of(site / "sources.html")
    assert {f"/category/{slug}.html" for slug in by_slug} <= set(sources)
    months = links_of(site / "archive" / "index.html")
    assert "/archive/2022/01/" in months
    month = [href for href in links_of(site / "archive/2022/01/index.html") if POST_LINK.match(href)]
    assert len(month) == 500


def test_the_search_index_holds_every_post_in_its_bundles(built):
    _, site, _, _, _ = built
    bundles = json.loads((site / "pagefind" / "bundles.json").read_text())
    entries = [
        json.loads((site / "pagefind" / name / "pagefind-entry.json").read_text()) for name in bundles["bundles"]
    ]
    language = bundles["language"]
    assert sum(entry["languages"][language]["page_count"] for entry in entries) == POSTS  # posts only, each once
    search = lxml.html.fromstring((site / "search.html").read_bytes())
    assert search.xpath("//script/@src") == ["/assets/search.js"]
    assert [script.text for script in search.xpath("//script")] == [None]  # no script in the page itself


def test_a_post_moved_to_the_old_posts_folder_keeps_its_url(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    by_slug = synthesize_archive(root, 30, sources=3, old_share=0)
    moved = next(iter(by_slug.values()))[0]
    url = post_url(moved)
    archive_build(root, "--no-search")
    page = (root / "_site" / url.lstrip("/")).read_text(encoding="utf-8")
    moved.rename(root / "old_post" / moved.name)
    archive_build(root, "--no-search")
    assert (root / "_site" / url.lstrip("/")).read_text(encoding="utf-8") == page


def test_an_archive_with_its_own_theme_keeps_it(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    synthesize_archive(root, 20, sources=2)
    shutil.copy(REPO / "site" / "_config.yml", root / "_config.yml")
    with open(root / "_config.yml", "a", encoding="utf-8") as config:
        config.write("title: 我的新闻存档\n")
    (root / "_layouts").mkdir()
    (root / "_layouts" / "post.html").write_text("<!-- own post layout -->{{ content }}", encoding="utf-8")
    own = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}
    archive_build(root, "--no-search")
    post = next((root / "_site").glob("2022/01/01/*.html")).read_text(encoding="utf-8")
    assert "<!-- own post layout -->" in post  # the archive's layout
    home = (root / "_site" / "index.html").read_text(encoding="utf-8")
    assert "我的新闻存档" in home and "最新新闻" in home  # its config; the template's home page it lacks
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in own} == own  # none of its files touched


def test_a_broken_post_is_left_out_of_the_site_with_jekylls_own_line(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    synthesize_archive(root, 10, sources=2)
    broken = root / "old_post" / "2021-12-31-NW202112310000000001.md"
    broken.write_text('---\nlayout: post\ntitle: "他说"你好""\n---\n正文', encoding="utf-8")
    process = archive_build(root, "--no-search", status=1)
    line = process.stderr.strip().splitlines()[-1]
    assert line.startswith("scrapy archive: the site was built without 1 post") and "YAML Exception" in line
    assert str(broken) in line  # the archive's file, not the staged link


@pytest.mark.parametrize(
    ("version", "replaced"), [("4.3.1", True), ("4.3.0", True), ("4.3.2", False), ("4.4.1", False)]
)
def test_the_jekyll_fix_replaces_each_site_file_only_on_4_3_0_and_4_3_1(version, replaced):
    ruby = need_tool("ruby")
    need_tool("jekyll")
    plugin = REPO / "site" / "_plugins" / "finews_each_site_file.rb"
    script = (f"require 'jekyll'; Jekyll.send(:remove_const, :VERSION); Jekyll::VERSION = '{version}'; "
              f"load '{plugin}'; print Jekyll::Site.instance_method(:each_site_file).source_location[0]")  # fmt: skip
    located = subprocess.run([ruby, "-W0", "-e", script], capture_output=True, text=True, timeout=60)
    assert located.returncode == 0, located.stderr
    assert (located.stdout == str(plugin)) is replaced


@pytest.mark.parametrize("out", [".", "..", "_posts", "category", "old_post/site", "_layouts", "assets", "site"])
def test_an_output_folder_that_holds_the_archive_or_is_in_it_is_refused(tmp_path, out):
    """Jekyll empties its output folder: only the archive's own site folder (`_site`) may be inside it."""
    root = tmp_path / "archive"
    synthesize_archive(root, 5, sources=2)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    process = archive_build(root, "--out", str(root / out), "--no-search", status=2)
    assert "would hold or be inside the archive or the site template" in process.stderr
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


@pytest.mark.parametrize("out", ["site", "site/_layouts"])
def test_an_output_folder_that_holds_the_template_or_is_in_it_is_refused(tmp_path, out):
    template = tmp_path / "site"
    shutil.copytree(REPO / "site", template)
    root = tmp_path / "archive"
    synthesize_archive(root, 4, sources=2)
    before = sorted(p.relative_to(template) for p in template.rglob("*"))
    command = scrapy_command(
        "archive", "build", "--no-search", "--out", str(tmp_path / out),
        settings={"FINEWS_ARCHIVE_DIR": root, "FINEWS_SITE_TEMPLATE": template},
    )  # fmt: skip
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert process.returncode == 2 and "the site template" in process.stderr
    assert sorted(p.relative_to(template) for p in template.rglob("*")) == before


def test_an_archive_config_in_safe_mode_still_gets_every_post_and_the_list_pages(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    by_slug = synthesize_archive(root, 12, sources=2)
    shutil.copy(REPO / "site" / "_config.yml", root / "_config.yml")
    with open(root / "_config.yml", "a", encoding="utf-8") as config:
        config.write("safe: true\n")
    archive_build(root, "--no-search")
    posts = [p for paths in by_slug.values() for p in paths]
    assert all((root / "_site" / post_url(p).lstrip("/")).is_file() for p in posts)
    assert (root / "_site" / "sources.html").is_file()
