"""`scrapy archive build` touches nothing but its own output, publishes nothing from outside the archive,
and lets no post replace a page of the site.

A. --out only ever replaces a site an earlier build made (its marker file) or an empty or missing
   folder, never the archive (but its _site), the template, the checkout or a parent of one; links
   on the way are resolved and the same rules apply to the real folder.
B. The archive's _config.yml is merged over the template's; the keys by which Jekyll would write or
   read elsewhere (cache_dir, destination, plugins_dir, ...) are the build's own.
C. A link to anything outside the archive (at the top, in assets/, deeper, a post) or to nothing is
   skipped and named on stderr; the rest is published.
D. A post's own permalink never replaces a page, a static file or a list page: it gets the usual URL.

Real Jekyll on archives written in the crawler's format (fixtures.testing.synthesize_archive).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from crawler.archive import layout
from fixtures.testing import scrapy_command, synthesize_archive
from tests.conftest import REPO, need_tool

pytestmark = pytest.mark.slow  # real `scrapy archive build` (Jekyll)

MARKER = ".finews-site"
SECRET = "绝密-OUTSIDE-THE-ARCHIVE-4242"


def archive_build(root, *options: str, status: int = 0, **settings) -> subprocess.CompletedProcess:
    command = scrapy_command(
        "archive", "build", "--no-search", *options, settings={"FINEWS_ARCHIVE_DIR": root, **settings}
    )
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == status, process.stdout + process.stderr[-3000:]
    return process


def snapshot(folder: Path) -> dict:
    """Every path below `folder` (dotfiles and links included) with its bytes or link target."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[path.relative_to(folder)] = ("link", os.readlink(path))
        elif path.is_file():
            found[path.relative_to(folder)] = path.read_bytes()
        else:
            found[path.relative_to(folder)] = "folder"
    return found


def site_text(site: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in site.rglob("*") if p.is_file())


@pytest.fixture
def archive(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    synthesize_archive(root, 8, sources=2)
    return root


def the_only_line(process) -> str:
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    return lines[0]


# A. The output folder


@pytest.mark.parametrize("held", [["keep.txt"], [".dotfile"], [".git/config"], ["deep/inside/notes.md", ".env"]])
def test_a_folder_with_other_files_is_refused_and_left_as_it_is(archive, tmp_path, held):
    out = tmp_path / "www"
    for name in held:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("mine", encoding="utf-8")
    before, archived = snapshot(out), snapshot(archive)
    process = archive_build(archive, "--out", str(out), status=2)
    assert MARKER in the_only_line(process) and "nothing was changed" in process.stderr
    assert snapshot(out) == before and snapshot(archive) == archived


@pytest.mark.parametrize("held", ["index.html", ".hidden"])
def test_a_site_folder_that_links_to_a_folder_with_other_files_is_refused(archive, tmp_path, held):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / held).write_text("not a site", encoding="utf-8")
    (archive / "_site").symlink_to(elsewhere)
    before = snapshot(elsewhere)
    process = archive_build(archive, status=2)
    assert MARKER in the_only_line(process)
    assert snapshot(elsewhere) == before and (archive / "_site").is_symlink()


def test_a_parent_that_is_a_link_is_resolved_and_judged_as_the_real_folder(archive, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "data.txt").write_text("keep", encoding="utf-8")
    (tmp_path / "via").symlink_to(tmp_path / "real")
    archive_build(archive, "--out", str(tmp_path / "via"), status=2)
    assert sorted(os.listdir(tmp_path / "real")) == ["data.txt"]
    archive_build(archive, "--out", str(tmp_path / "via" / "site"))  # a new folder in it: fine
    assert (tmp_path / "real" / "site" / MARKER).is_file() and (tmp_path / "real" / "data.txt").is_file()


@pytest.mark.parametrize("out", ["new", "new/deeper", "empty"])
def test_a_new_or_empty_folder_gets_the_site_and_its_marker_and_is_rebuilt_again(archive, tmp_path, out):
    (tmp_path / "empty").mkdir()
    site = tmp_path / out
    archive_build(archive, "--out", str(site))
    assert (site / MARKER).is_file() and (site / "index.html").is_file()
    (site / "stale.html").write_text("from an old build", encoding="utf-8")
    archive_build(archive, "--out", str(site))  # our own site: replaced, the marker kept
    assert (site / MARKER).is_file() and (site / "index.html").is_file() and not (site / "stale.html").exists()


def test_the_archive_site_folder_is_rebuilt_and_keeps_its_marker(archive):
    archive_build(archive)
    archive_build(archive)
    assert (archive / "_site" / MARKER).is_file() and (archive / "_site" / "sources.html").is_file()


def test_an_unmarked_site_folder_of_the_archive_that_holds_files_is_refused(archive):
    (archive / "_site").mkdir()
    (archive / "_site" / "CNAME").write_text("news.example\n", encoding="utf-8")
    archive_build(archive, status=2)
    assert os.listdir(archive / "_site") == ["CNAME"]


def test_a_marker_that_is_a_link_or_a_folder_is_no_marker(archive, tmp_path):
    out = tmp_path / "www"
    out.mkdir()
    (out / "mine.txt").write_text("x", encoding="utf-8")
    (tmp_path / "m").write_text("", encoding="utf-8")
    (out / MARKER).symlink_to(tmp_path / "m")
    archive_build(archive, "--out", str(out), status=2)
    (out / MARKER).unlink()
    (out / MARKER).mkdir()
    archive_build(archive, "--out", str(out), status=2)
    assert sorted(os.listdir(out)) == sorted([MARKER, "mine.txt"])


@pytest.mark.parametrize("out", [".", "..", "site", "site/_layouts", "finews-test-out-never-made", "fixtures"])
def test_the_checkout_a_folder_in_it_or_a_parent_is_refused(archive, out):
    target = (REPO / out).resolve()
    existed = target.exists()
    process = archive_build(archive, "--out", str(target), status=2)
    assert "would hold or be inside" in the_only_line(process)
    assert target.exists() == existed


def test_a_file_is_refused(archive, tmp_path):
    (tmp_path / "file.html").write_text("x", encoding="utf-8")
    archive_build(archive, "--out", str(tmp_path / "file.html"), status=2)
    assert (tmp_path / "file.html").read_text(encoding="utf-8") == "x"


def test_the_python_build_refuses_the_same_folders(archive, tmp_path):
    from crawler.exitstatus import ExitStatus
    from crawler.tools.build import build
    from crawler.tools.verb import VerbFailed

    (tmp_path / "www").mkdir()
    (tmp_path / "www" / ".profile").write_text("x", encoding="utf-8")
    with pytest.raises(VerbFailed) as refused:
        build(archive, tmp_path / "www", template=REPO / "site", search=False)
    assert refused.value.status == ExitStatus.USAGE and os.listdir(tmp_path / "www") == [".profile"]
    built = build(archive, archive / "_site", template=REPO / "site", search=False)
    assert built.posts == 8 and (archive / "_site" / MARKER).is_file()


# B. The archive's config


@pytest.mark.parametrize(
    "config",
    [
        "cache_dir: category\n",
        "cache_dir: assets\ndisable_disk_cache: false\n",
        "incremental: true\n",
        "destination: category\n",
        "source: /\n",
        "collections_dir: category\nlayouts_dir: ../../\nplugins_dir: [/tmp]\n",
    ],
)
def test_the_archive_config_writes_nothing_into_the_archive(archive, tmp_path, config):
    (archive / "_config.yml").write_text(config, encoding="utf-8")
    before = snapshot(archive)
    archive_build(archive, "--out", str(tmp_path / "out"))
    assert snapshot(archive) == before
    assert (tmp_path / "out" / "sources.html").is_file() and len(list((tmp_path / "out").glob("20*/*/*/*.html"))) == 8


@pytest.mark.parametrize("config", ["baseurl: /news\n", "title: 我的存档\n", "finews:\n  per_page: 3\n"])
def test_the_archive_config_is_merged_over_the_template(archive, config):
    (archive / "_config.yml").write_text(config, encoding="utf-8")
    archive_build(archive)
    site = archive / "_site"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert ("我的存档" if "title" in config else "财经新闻存档") in home  # the template's title unless replaced
    post = next(site.glob("20*/*/*/*.html")).read_text(encoding="utf-8")
    assert "+0800" in post  # the template's timezone: Beijing time
    if "per_page" in config:  # the template's finews.newest is kept beside it
        assert (site / "category").is_dir() and any((site / "category").glob("*/page2.html"))


def test_a_config_that_links_outside_is_skipped_and_named(archive, tmp_path):
    (tmp_path / "evil.yml").write_text("title: 不该出现\n", encoding="utf-8")
    (archive / "_config.yml").symlink_to(tmp_path / "evil.yml")
    process = archive_build(archive)
    assert str(archive / "_config.yml") in process.stderr
    assert "不该出现" not in (archive / "_site" / "index.html").read_text(encoding="utf-8")


# C. Links


@pytest.fixture
def outside(tmp_path):
    folder = tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    for name in ("secret.txt", "secret.css", "sub/page.html"):
        (folder / name).write_text(f"---\n---\n{SECRET} {name}\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("link", "to"),
    [
        ("leak", "."),
        ("secret.txt", "secret.txt"),
        ("assets/x.css", "secret.css"),
        ("assets/deep/er/y.txt", "secret.txt"),
        ("category/evil.html", "sub/page.html"),
        ("assets/folder", "sub"),
        ("news/.well-known", "sub"),
    ],
)
def test_a_link_outside_the_archive_is_skipped_and_named(archive, outside, link, to):
    path = archive / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(outside / to)
    (archive / "assets").mkdir(exist_ok=True)
    (archive / "assets" / "mine.css").write_text("body{}", encoding="utf-8")
    process = archive_build(archive)
    assert f"skipped {path}: a symbolic link to {(outside / to).resolve()}, outside the archive" in process.stderr
    site = archive / "_site"
    assert SECRET not in site_text(site)
    assert (site / "assets" / "mine.css").read_text(encoding="utf-8") == "body{}"  # the rest is published
    assert (site / "assets" / "style.css").is_file()  # and the template's


def test_a_system_file_is_never_published(archive):
    (archive / "hostname").symlink_to("/etc/hostname")
    (archive / "assets").mkdir()
    (archive / "assets" / "passwd").symlink_to("/etc/passwd")
    (archive / "etc").symlink_to("/etc")
    process = archive_build(archive)
    assert process.stderr.count("skipped ") == 3
    site = archive / "_site"
    assert (
        not (site / "hostname").exists() and not (site / "assets" / "passwd").exists() and not (site / "etc").exists()
    )


@pytest.mark.parametrize("link", ["gone.html", "assets/gone.css", "category/deeper/gone"])
def test_a_dangling_link_is_skipped_and_named_and_the_build_goes_on(archive, link):
    path = archive / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(archive / "no-such-file")
    process = archive_build(archive)
    assert f"skipped {path}: a symbolic link to nothing" in process.stderr
    assert (archive / "_site" / "index.html").is_file()


def test_links_inside_the_archive_are_published_and_links_into_what_it_hides_are_not(archive):
    (archive / "assets").mkdir()
    (archive / "shared").mkdir()
    (archive / "shared" / "logo.css").write_text("a{}", encoding="utf-8")
    (archive / "assets" / "logo.css").symlink_to(archive / "shared" / "logo.css")
    (archive / "assets" / "more").symlink_to(archive / "shared")
    (archive / ".git").mkdir()
    (archive / ".git" / "config").write_text(f"[remote] url = https://token:{SECRET}@example\n", encoding="utf-8")
    (archive / "gitconfig").symlink_to(archive / ".git" / "config")
    (archive / "loop").symlink_to(archive)
    (archive / "assets" / "up").symlink_to(archive / "assets")
    (archive / "raw-post.md").symlink_to(next((archive / "_posts").iterdir()))
    process = archive_build(archive)
    site = archive / "_site"
    assert (site / "assets" / "logo.css").read_text(encoding="utf-8") == "a{}"
    assert (site / "assets" / "more" / "logo.css").is_file()
    assert SECRET not in site_text(site) and not (site / "gitconfig").exists()
    for name in ("gitconfig", "loop", "assets/up", "raw-post.md"):
        assert f"skipped {archive / name}" in process.stderr


@pytest.mark.parametrize("folder", ["_posts", "old_post", "_posts/2022"])
def test_a_post_that_links_outside_is_not_published_and_the_others_are(archive, outside, folder):
    """A link is no post for any verb (crawler/archive/index.py reads no link): not counted, not staged."""
    post = archive / folder / "2022-01-09-NW202201090000000099.md"
    post.parent.mkdir(exist_ok=True)
    (outside / "post.md").write_text(f"---\nlayout: post\ntitle: {SECRET}\n---\n{SECRET}\n", encoding="utf-8")
    post.symlink_to(outside / "post.md")
    process = archive_build(archive)
    assert "8 posts" in process.stdout
    assert SECRET not in site_text(archive / "_site")


# D. Permalinks


@pytest.mark.parametrize(
    ("permalink", "page"),
    [
        ("/index.html", "index.html"),
        ("/", "index.html"),
        ("/search.html", "search.html"),
        ("/sources.html", "sources.html"),
        ("/sources", "sources.html"),
        ("/assets/style.css", "assets/style.css"),
        ("/archive/", "archive/index.html"),
        ("/category/{slug}.html", "category/{slug}.html"),
        ("/emnews/", "emnews/index.html"),
    ],
)
def test_a_post_permalink_never_replaces_a_page(tmp_path, permalink, page):
    need_tool("jekyll")
    root = tmp_path / "archive"
    by_slug = synthesize_archive(root, 8, sources=2)
    slug = next(iter(by_slug))
    post = by_slug[slug][0]
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("\n---\n", f"\npermalink: {permalink.format(slug=slug)}\n---\n", 1), encoding="utf-8")
    if page.startswith("emnews"):
        (root / "emnews").mkdir()
        (root / "emnews" / "index.html").write_text("---\nlayout: category\ntitle: 滚动新闻\ncategory: emnews\n---\n")
    process = archive_build(root)
    site = root / "_site"
    assert f"{post}: its permalink" in process.stderr
    year, month, day, name = post.name.split("-", 3)
    usual = site / year / month / day / name.replace(".md", ".html")
    assert usual.is_file()  # the post, at its usual URL
    written = (site / page.format(slug=slug)).read_text(encoding="utf-8")
    assert "data-pagefind-body" not in written  # the page, not the post
    if page == "assets/style.css":
        assert written == (REPO / "site" / "assets" / "style.css").read_text(encoding="utf-8")


def test_a_post_permalink_that_takes_no_page_is_kept(archive):
    post = sorted((archive / "_posts").iterdir())[0]
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("\n---\n", "\npermalink: /special/one.html\n---\n", 1), encoding="utf-8")
    process = archive_build(archive)
    assert (archive / "_site" / "special" / "one.html").is_file() and "its permalink" not in process.stderr


# E. A post Jekyll cannot read

BROKEN = {
    "yaml": '---\nlayout: post\ntitle: "他说"你好""\n---\n正文'.encode(),
    "utf8": b"---\nlayout: post\ntitle: ok\n---\n\xff\xfe bad \xc3\x28 body",
    "bom": '\ufeff---\nlayout: post\ntitle: "他说"你好""\n---\n正文'.encode(),
    "list": b"---\n- a\n- b\n---\nbody",
    "liquid": b"---\nlayout: post\ntitle: x\n---\n{% no_such_tag %}",
}


@pytest.mark.parametrize(
    "broken",
    [["yaml"], ["utf8"], ["bom"], ["list"], ["liquid"], ["yaml", "utf8", "bom"]],
)
def test_a_post_jekyll_cannot_read_is_one_missing_page_and_exit_status_1(tmp_path, broken):
    need_tool("jekyll")
    root = tmp_path / "archive"
    by_slug = synthesize_archive(root, 10, sources=2)
    good = [p for paths in by_slug.values() for p in paths]
    bad = []
    for number, kind in enumerate(broken):
        folder = root / ("old_post" if number % 2 else "_posts")
        bad.append(folder / f"2022-01-0{number + 3}-NW20220103000000{number:04d}.md")
        bad[-1].write_bytes(BROKEN[kind])
    process = archive_build(root, status=1)
    lines = process.stderr.strip().splitlines()
    assert sorted(line.split(": ", 1)[0] for line in lines[:-1]) == sorted(f"left out {path}" for path in bad)
    assert lines[-1].startswith(f"scrapy archive: the site was built without {len(bad)} post")
    assert f"{len(good)} posts" in process.stdout
    site = root / "_site"
    for post in good:
        year, month, day, name = post.name.split("-", 3)
        assert (site / year / month / day / name.replace(".md", ".html")).is_file()
    assert (site / "index.html").is_file() and (site / "sources.html").is_file()


@pytest.mark.parametrize(
    "name, data",
    [
        ("about.html", b"---\n---\n{% no_such_tag %}\n"),  # a Liquid error
        ("about.md", b"---\ntitle: [oops\n---\nhi\n"),  # broken YAML
        ("notes/bad.html", b"---\ntitle: x\n---\n\xff\xfe\n"),  # invalid UTF-8, in a folder
        ("list.md", b"---\n- a\n---\n"),  # a front matter that is no mapping
    ],
)
def test_a_page_jekyll_cannot_read_is_one_missing_page_and_exit_status_1(archive, name, data):
    (archive / name).parent.mkdir(exist_ok=True)
    (archive / name).write_bytes(data)
    (archive / "good.md").write_text("---\ntitle: 好页面\n---\n好页面\n", encoding="utf-8")
    process = archive_build(archive, status=1)
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"left out {archive / name}: "), process.stderr
    assert lines[1].startswith("scrapy archive: the site was built without 1 file of the archive Jekyll cannot read")
    site = archive / "_site"
    assert "好页面" in (site / "good.html").read_text(encoding="utf-8") and "8 posts" in process.stdout
    assert (site / "index.html").is_file() and not (site / name).with_suffix(".html").exists()


@pytest.mark.parametrize(
    "name", ["index.html", "_layouts/post.html", "_layouts/default.html", "_includes/pager.html", "search.html"]
)
def test_a_broken_page_or_layout_of_the_archive_gives_way_to_the_templates(archive, name):
    (archive / name).parent.mkdir(exist_ok=True)
    (archive / name).write_text("---\n---\n{% if %}\n" if "/" not in name else "{% if %}\n", encoding="utf-8")
    process = archive_build(archive, status=1)
    assert f"left out {archive / name}: Liquid Exception" in process.stderr
    assert f"(the template's {name} in its place)" in process.stderr
    site = archive / "_site"
    assert "最新新闻" in (site / "index.html").read_text(encoding="utf-8")
    assert len(list(site.glob("20*/*/*/*.html"))) == 8


@pytest.mark.parametrize(
    "broken, user",
    [
        ("_layouts/mine.html", "---\nlayout: mine\n---\nabout\n"),  # a layout the template has not
        ("_includes/mine.html", "---\n---\n{% include mine.html %}about\n"),  # an include a page uses
    ],
)
def test_a_broken_theme_or_data_file_the_template_has_not_is_left_out_and_so_is_what_needs_it(archive, broken, user):
    (archive / broken).parent.mkdir()
    (archive / broken).write_text("{% if %}\n" if broken.endswith("html") else "a: [b\n", encoding="utf-8")
    (archive / "about.html").write_text(user, encoding="utf-8")
    process = archive_build(archive, status=1)
    assert f"left out {archive / broken}: " in process.stderr, process.stderr
    site = archive / "_site"
    assert "最新新闻" in (site / "index.html").read_text(encoding="utf-8") and "8 posts" in process.stdout


@pytest.mark.parametrize("name, data", [("mine.yml", "a: [b\n"), ("x.json", '{"a": '), ("t.yaml", "a: *nothing\n")])
def test_a_data_file_jekyll_cannot_read_is_skipped_and_named(archive, name, data):
    (archive / "_data").mkdir()
    (archive / "_data" / name).write_text(data, encoding="utf-8")
    (archive / "about.html").write_text("---\n---\n{{ site.data.mine }}about\n", encoding="utf-8")
    process = archive_build(archive)
    assert the_only_line(process).startswith(f"skipped {archive / '_data' / name}: Jekyll cannot read it as data")
    assert "about" in (archive / "_site" / "about.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["ab out.html", "dir one/a:b.html", "é 页面.md"])
def test_a_broken_page_whose_name_holds_spaces_or_colons_is_left_out(archive, name):
    (archive / name).parent.mkdir(exist_ok=True)
    (archive / name).write_text("---\n---\n{% if %}\n", encoding="utf-8")
    process = archive_build(archive, status=1)
    assert f"left out {archive / name}: " in process.stderr, process.stderr
    assert (archive / "_site" / "index.html").is_file()


def test_a_hard_link_in_the_site_folder_is_refused_and_the_file_it_shares_untouched(archive):
    archive_build(archive)
    post = next((archive / "_posts").iterdir())
    before = post.read_bytes()
    (archive / "_site" / "index.html").unlink()
    os.link(post, archive / "_site" / "index.html")
    process = archive_build(archive, status=2)
    assert "holds a hard link" in the_only_line(process) and post.read_bytes() == before


def test_a_stylesheet_that_loads_a_file_outside_the_site_is_skipped(archive, outside):
    (archive / "assets").mkdir()
    for name, target in (("leak.scss", outside / "secret"), ("up.scss", "../../../../../../../../etc/hostname")):
        (archive / "assets" / name).write_text(f'---\n---\n@import "{target}";\n', encoding="utf-8")
    (archive / "assets" / "fine.scss").write_text("---\n---\n$w: 4px;\np { width: $w; }\n", encoding="utf-8")
    process = archive_build(archive)
    assert process.stderr.count("outside the site (Sass would publish it)") == 2, process.stderr
    assert SECRET not in site_text(archive / "_site") and (archive / "_site" / "assets" / "fine.css").is_file()


def test_a_link_into_a_folder_jekyll_does_not_publish_is_skipped(archive):
    (archive / "_stuff").mkdir()
    (archive / "_stuff" / "e.html").write_text(f"<script>{SECRET}</script>", encoding="utf-8")
    (archive / "linked.html").symlink_to(archive / "_stuff" / "e.html")
    process = archive_build(archive)
    assert f"skipped {archive / 'linked.html'}: " in process.stderr and "Jekyll does not publish" in process.stderr
    assert SECRET not in site_text(archive / "_site")


def test_more_broken_files_than_a_build_leaves_out_fail_it(archive):
    for number in range(21):
        (archive / f"bad{number:02d}.md").write_text("---\ntitle: [x\n---\n", encoding="utf-8")
    process = archive_build(archive, status=1)
    assert process.stderr.count("left out ") == 20 and "jekyll build failed: YAML Exception" in process.stderr


def test_a_gemfile_a_gem_theme_or_gem_plugins_of_the_archive_never_stop_the_build(archive):
    (archive / "Gemfile").write_text(
        'source "https://rubygems.org"\ngem "github-pages", group: :jekyll_plugins\nraise "ran"\n', encoding="utf-8"
    )
    (archive / "_config.yml").write_text("theme: minima\nplugins: [jekyll-no-such-gem]\ntitle: 我的存档\n")
    process = archive_build(archive)
    assert "我的存档" in (archive / "_site" / "index.html").read_text(encoding="utf-8")
    assert not (archive / "_site" / "Gemfile").exists() and process.stderr == ""


@pytest.mark.parametrize(
    "config",
    [
        "include: [_stuff, .well-known]\n",  # publishes folders doctor never reads
        "collections: {things: {output: true}}\n",
        "kramdown: {parse_block_html: true}\n",  # turns the crawler's inert HTML blocks into Markdown
        "markdown: nothing\n",  # no such converter: every build would stop
        "liquid: {strict_variables: true, error_mode: strict}\n",
        "encoding: utf-16\n",
        "defaults: [{scope: {path: ''}, values: {layout: nothing, render_with_liquid: true}}]\n",
        "finews: {per_page: 0, newest: x}\n",
        "title: [a, b]\ntimezone: 8\n",
    ],
)
def test_only_the_config_keys_the_site_honours_are_read(archive, config):
    for folder in ("_stuff", "_things", ".well-known"):
        (archive / folder).mkdir()
        (archive / folder / "x.html").write_text(f"---\n---\n<p>{SECRET}</p>\n", encoding="utf-8")
    (archive / "_config.yml").write_text(f"description: 我的描述\n{config}", encoding="utf-8")
    post = next((archive / "_posts").iterdir())
    post.write_text(post.read_text(encoding="utf-8") + "\n<p>[x](javascript:alert(1))</p>\n", encoding="utf-8")
    process = archive_build(archive)
    site = archive / "_site"
    assert SECRET not in site_text(site) and "javascript:alert" not in site_text(site).replace("[x](javascript", "")
    assert "我的描述" in (site / "index.html").read_text(encoding="utf-8") and "8 posts" in process.stdout


def test_a_config_that_cannot_be_read_leaves_the_templates_alone(archive):
    (archive / "_config.yml").write_text("title: [broken\n", encoding="utf-8")
    process = archive_build(archive)
    assert f"skipped {archive / '_config.yml'}: it cannot be read" in the_only_line(process)
    assert "财经新闻存档" in (archive / "_site" / "index.html").read_text(encoding="utf-8")


def test_the_post_count_is_of_the_posts_written(archive):
    posts = sorted((archive / "_posts").iterdir())
    text = posts[0].read_text(encoding="utf-8")  # its own permalink and usual URL both a page's: left out
    posts[0].write_text(text.replace("\n---\n", "\npermalink: /index.html\n---\n", 1), encoding="utf-8")
    year, month, day, name = posts[0].name.split("-", 3)
    (archive / year / month / day).mkdir(parents=True)
    (archive / year / month / day / name.replace(".md", ".html")).write_text("a page", encoding="utf-8")
    process = archive_build(archive)
    assert f"{posts[0]}: left out" in process.stderr and "7 posts" in process.stdout


def test_a_post_permalink_never_moves_another_post_and_two_alike_get_one_url(archive):
    posts = sorted((archive / "_posts").iterdir())
    first, second, third = posts[0], posts[1], posts[-1]
    year, month, day, name = third.name.split("-", 3)
    taken = f"/{year}/{month}/{day}/{name.replace('.md', '.html')}"  # the newest post's usual URL
    for post, permalink in ((first, taken), (second, "/same.html"), (posts[2], "/same.html")):
        text = post.read_text(encoding="utf-8")
        post.write_text(text.replace("\n---\n", f"\npermalink: {permalink}\n---\n", 1), encoding="utf-8")
    process = archive_build(archive)
    site = archive / "_site"
    assert f"{first}: its permalink" in process.stderr and f"{posts[2]}: its permalink" in process.stderr
    assert f"{second}: its permalink" not in process.stderr and (site / "same.html").is_file()
    assert third.read_text(encoding="utf-8").split("title: ", 1)[1].split("\n")[0].strip('"') in (
        site / taken.lstrip("/")
    ).read_text(encoding="utf-8")


def test_a_fifo_is_skipped_and_named_not_read(archive):
    (archive / "assets").mkdir()
    os.mkfifo(archive / "assets" / "pipe.css")
    process = archive_build(archive)
    assert f"skipped {archive / 'assets' / 'pipe.css'}: neither a regular file nor a folder" in process.stderr
    assert (archive / "_site" / "index.html").is_file()


@pytest.mark.parametrize("name", ["_config.yml", "_config.yaml", "_config.toml"])
def test_the_archive_config_under_each_name_jekyll_reads_is_merged(archive, name):
    line = 'title = "我的存档"\n' if name.endswith("toml") else "title: 我的存档\n"
    (archive / name).write_text(line, encoding="utf-8")
    archive_build(archive)
    home = (archive / "_site" / "index.html").read_text(encoding="utf-8")
    assert (
        "我的存档" in home
        and "最新新闻" in home
        and "+0800" in next((archive / "_site").glob("20*/*/*/*.html")).read_text()
    )


def test_a_posts_folder_that_links_outside_publishes_none_of_its_posts(archive, outside):
    post = outside / "2022-01-09-NW202201090000000099.md"
    post.write_text(f"---\nlayout: post\ntitle: {SECRET}\n---\n{SECRET}\n", encoding="utf-8")
    shutil.rmtree(archive / "old_post")
    (archive / "old_post").symlink_to(outside)
    process = archive_build(archive)
    assert f"skipped {archive / 'old_post' / post.name}: a path through a symbolic link to {post}" in process.stderr
    assert "6 posts" in process.stdout and SECRET not in site_text(archive / "_site")


def test_a_posts_folder_that_links_inside_the_archive_is_published(archive):
    (archive / "data").mkdir()
    (archive / "_posts").rename(archive / "data" / "posts")
    (archive / "_posts").symlink_to(archive / "data" / "posts")
    process = archive_build(archive)
    assert "8 posts" in process.stdout and "skipped" not in process.stderr


# F. What an attack on the build found next: the archive's code, git's files, odd category names, links


@pytest.mark.parametrize("name", ["evil.rb", "finews_post_urls.rb", "deep/er.rb"])
def test_no_ruby_file_of_the_archive_ever_runs(archive, tmp_path, name):
    canary = tmp_path / "ran"
    plugin = archive / "_plugins" / name
    plugin.parent.mkdir(parents=True)
    plugin.write_text(f'File.write("{canary}", "ran")\n', encoding="utf-8")
    archive_build(archive)
    assert not canary.exists()


@pytest.mark.parametrize("permalink", ["/.git/config", "/.git/hooks/post-checkout", "/.svn/entries", "/.finews-site"])
def test_no_page_or_post_is_written_where_the_site_folder_keeps_what_is_not_the_site(archive, tmp_path, permalink):
    out = tmp_path / "www"
    out.mkdir()
    (out / layout.SITE_MARKER).write_text("", encoding="utf-8")
    (out / ".git").mkdir()
    (out / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (archive / "page.md").write_text(f"---\npermalink: {permalink}\nlayout: null\n---\nX\n", encoding="utf-8")
    post = sorted((archive / "_posts").glob("*.md"))[0]
    post.write_text(post.read_text(encoding="utf-8").replace("---\n", f"---\npermalink: {permalink}x\n", 1))
    process = archive_build(archive, "--out", str(out))
    assert (out / ".git" / "config").read_text(encoding="utf-8") == "[core]\n"
    assert not [p for p in out.rglob("*") if p.is_file() and p.read_bytes().strip() == b"X"]
    assert (out / layout.SITE_MARKER).read_text(encoding="utf-8") == ""
    assert "left out" in process.stderr or permalink == "/.finews-site"  # a dotfile Jekyll never writes anyway


@pytest.mark.parametrize("category", ["01:30", "12:30", "a:b", "x#y", "50%"])
def test_a_category_no_page_can_be_named_after_leaves_the_site_standing(archive, category):
    post = sorted((archive / "_posts").glob("*.md"))[0]
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r"^categories: .*$", f'categories: "{category}"', text, count=1, flags=re.M))
    process = archive_build(archive)
    assert "gets no page" in process.stderr and (archive / "_site" / "index.html").is_file()


def test_the_built_site_holds_files_not_links_into_the_archive_or_the_template(archive):
    (archive / "assets").mkdir()
    (archive / "assets" / "mine.css").write_text("p{}", encoding="utf-8")
    archive_build(archive)
    links = [p for p in (archive / "_site").rglob("*") if p.is_symlink()]
    assert links == [] and (archive / "_site" / "assets" / "mine.css").read_text(encoding="utf-8") == "p{}"


def test_a_link_inside_the_site_folder_is_refused_and_nothing_is_written_through_it(archive, tmp_path):
    archive_build(archive)
    victim = tmp_path / "victim"
    victim.mkdir()
    shutil.rmtree(archive / "_site" / "category")
    (archive / "_site" / "category").symlink_to(victim)
    process = archive_build(archive, status=2)
    assert "holds a symbolic link" in the_only_line(process) and list(victim.iterdir()) == []


# G. What a second attack on the build found: names, folders and values that stop Jekyll or publish too much


def write(root: Path, name: str | bytes, data: str | bytes) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(root), os.fsencode(name))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    "name, data, said",
    [
        ("news/_posts/2022-01-02-evil.md", f"---\ntitle: hi\n---\n{SECRET}\n", "a posts folder below the top"),
        ("a/_drafts/2022-01-02-x.md", f"---\ntitle: hi\n---\n{SECRET}\n", "a posts folder below the top"),
        (b"\xff" + b".html", f"---\n---\n{SECRET}\n", "its name is no UTF-8"),
        (b"assets/\xe4\xb8.png", SECRET, "its name is no UTF-8"),
        ("_layouts/post.html/x.txt", SECRET, "a folder named like a layout"),
        ("_data/t.csv", 'a,b\n1,"x"y\n', "Jekyll cannot read it as data"),
        ("assets/leak.sass", "---\n---\n@import /etc/hostname\n", "outside the site"),
    ],
)
def test_what_jekyll_would_stop_at_or_publish_unasked_is_skipped_and_named(archive, name, data, said):
    path = write(archive, name, data)
    process = archive_build(archive)
    assert said in process.stderr and "skipped" in process.stderr, process.stderr
    assert SECRET not in site_text(archive / "_site") and "8 posts" in process.stdout
    assert path.exists()


def test_a_link_that_would_publish_text_as_a_page_is_skipped(archive):
    write(archive, "notes/readme.txt", f"<script>{SECRET}</script>")
    (archive / "evil.html").symlink_to(archive / "notes" / "readme.txt")
    process = archive_build(archive)
    assert f"skipped {archive / 'evil.html'}: a link that would publish readme.txt" in process.stderr
    assert not (archive / "_site" / "evil.html").exists()


@pytest.mark.parametrize(
    "front",
    ["permalink: /:foo/", "permalink: [a, b]", "permalink: {a: 1}", "slug: [1, 2]", "permalink: /:nokey/:title/"],
)
def test_a_post_whose_url_jekyll_cannot_make_is_left_out(archive, front):
    post = next((archive / "_posts").iterdir())
    post.write_text(post.read_text(encoding="utf-8").replace("\n---\n", f"\n{front}\n---\n", 1), encoding="utf-8")
    process = archive_build(archive)
    assert f"{post.name}: left out" in process.stderr, process.stderr
    assert "7 posts" in process.stdout and (archive / "_site" / "index.html").is_file()


@pytest.mark.parametrize(
    "config",
    ["permalink: /:nokey/:title/\n", 'timezone: "Asia/Shanghai\\0x"\n', 'exclude: ["a\\0"]\n', "title: 2024-13-45\n"],
)
def test_a_config_value_jekyll_cannot_use_is_left_out(archive, config):
    (archive / "_config.yml").write_text(config, encoding="utf-8")
    process = archive_build(archive)
    assert "8 posts" in process.stdout and process.stderr == ""


def test_a_config_that_is_a_folder_is_named(archive):
    (archive / "_config.yml").mkdir()
    process = archive_build(archive)
    assert the_only_line(process).startswith(f"skipped {archive / '_config.yml'}: it cannot be read")


def test_a_liquid_error_that_quotes_a_files_name_leaves_out_the_page_that_failed(archive):
    write(archive, "about.md", "---\n---\n{% include_relative index.html.x %}\n")
    process = archive_build(archive, status=1)
    assert f"left out {archive / 'about.md'}" in process.stderr and "index.html:" not in process.stderr
    assert (archive / "_site" / "index.html").is_file()


def test_the_archives_htaccess_is_not_published(archive):
    write(archive, ".htaccess", "AddType text/html .png\n")
    archive_build(archive)
    assert not (archive / "_site" / ".htaccess").exists()
