"""Incremental builds: `scrapy archive build --out DIR` into a site an earlier build made renders only
what changed, and the site it leaves equals a full build of the same archive, byte for byte.

The end-to-end tests run real Jekyll (`--no-search`: the search index has its own tests); the
merge, the plan and the signatures are checked on plain folders.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from crawler.archive import layout
from crawler.tools import incremental
from crawler.tools.incremental import Manifest, Signature
from fixtures.testing import scrapy_command, synthesize_archive
from tests.conftest import REPO, need_tool

POSTS, SOURCES = 300, 6


def archive_build(root, out, *options: str) -> subprocess.CompletedProcess:
    command = scrapy_command(
        "archive", "build", "--no-search", "--out", str(out), *options, settings={"FINEWS_ARCHIVE_DIR": root}
    )
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr[-3000:]
    return process


def tree(site: Path) -> dict[str, bytes]:
    """Every file of a built site but the build's manifest, by its path in the site."""
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file() and path.name != layout.SITE_MANIFEST
    }


def stamps(site: Path) -> dict[str, int]:
    return {path.relative_to(site).as_posix(): path.stat().st_mtime_ns for path in site.rglob("*") if path.is_file()}


@pytest.fixture
def archives(tmp_path):
    """An archive, and a later one with 40 more posts (several of two sources it did not have)."""
    need_tool("jekyll")
    synthesize_archive(tmp_path / "archive", POSTS, sources=SOURCES, big_share=0.5)
    synthesize_archive(tmp_path / "later", POSTS + 40, sources=SOURCES + 2, big_share=0.5)
    return tmp_path / "archive", tmp_path / "later"


def add_later_posts(root: Path, later: Path) -> list[str]:
    """The posts of `later` that `root` lacks, into `root`'s two folders (alternately), with their category pages."""
    have = {p.name for folder in ("_posts", "old_post") for p in (root / folder).glob("*.md")}
    new = sorted(p for folder in ("_posts", "old_post") for p in (later / folder).glob("*.md") if p.name not in have)
    for number, post in enumerate(new):
        shutil.copy(post, root / ("_posts" if number % 2 else "old_post") / post.name)
    for page in (later / "category").iterdir():
        if not (root / "category" / page.name).exists():
            shutil.copy(page, root / "category" / page.name)
    return [p.name for p in new]


@pytest.mark.slow
def test_an_update_equals_a_full_build_of_the_same_archive(archives, tmp_path):
    root, later = archives
    site = tmp_path / "site"
    assert archive_build(root, site).stdout.startswith("built ")
    assert add_later_posts(root, later)
    posts = sorted((root / "_posts").glob("*.md"))
    changed, removed, moved = posts[3], posts[7], posts[11]
    changed.write_text(changed.read_text(encoding="utf-8").replace("title: ", "title: 改过的", 1), encoding="utf-8")
    removed.unlink()
    moved.rename(root / "old_post" / moved.name)
    other_source = sorted((root / "old_post").glob("*.md"))[-1]  # a post that changes its source (category)
    text = other_source.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.startswith("categories:"))
    other_source.write_text(text.replace(first, "categories: 改名的来源", 1), encoding="utf-8")

    process = archive_build(root, site)
    assert process.stdout.startswith(f"updated {site}"), process.stdout + process.stderr
    full = tmp_path / "full"
    archive_build(root, full)
    assert tree(site) == tree(full)
    assert not (site / changed.name.replace(".md", ".html")).exists()


@pytest.mark.slow
def test_an_update_writes_only_what_changed(archives, tmp_path):
    root, _ = archives
    site = tmp_path / "site"
    archive_build(root, site)
    before = stamps(site)
    time.sleep(0.05)
    post = sorted((root / "_posts").glob("*.md"))[-1]
    post.write_text(post.read_text(encoding="utf-8").replace("第二段。", "第二段，改过。"), encoding="utf-8")
    archive_build(root, site)
    rewritten = {path for path, stamp in stamps(site).items() if before.get(path) != stamp}
    year, month, day, name = post.name.split("-", 3)
    own = f"{year}/{month}/{day}/{name.removesuffix('.md')}.html"
    assert own in rewritten
    assert not [path for path in rewritten - {own} if path.endswith(".html") and path.count("/") == 3]  # no other post
    assert len(rewritten) < 10, sorted(rewritten)  # the post, its manifest; list pages only when their bytes changed


@pytest.mark.slow
def test_a_fresh_checkout_of_the_same_posts_is_no_change(archives, tmp_path):
    """A git clone touches every file (new times, new inodes) and changes none: nothing is rendered."""
    root, _ = archives
    site = tmp_path / "site"
    archive_build(root, site)
    before = stamps(site)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_site"))
    shutil.rmtree(root)
    copy.rename(root)
    assert archive_build(root, site).stdout.startswith("updated ")
    assert {path for path, stamp in stamps(site).items() if before.get(path) != stamp} == {layout.SITE_MANIFEST}


@pytest.mark.slow
def test_a_changed_config_a_theme_that_reads_the_posts_and_full_make_a_full_build(archives, tmp_path):
    root, _ = archives
    site = tmp_path / "site"
    archive_build(root, site)
    (root / "_config.yml").write_text("title: 另一个存档\n", encoding="utf-8")
    process = archive_build(root, site)
    assert process.stdout.startswith("built ") and "a full build: the theme or the config changed" in process.stderr
    assert "另一个存档" in (site / "index.html").read_text(encoding="utf-8")
    assert archive_build(root, site).stdout.startswith("updated ")
    assert archive_build(root, site, "--full").stdout.startswith("built ")
    (root / "_includes").mkdir()
    (root / "_includes" / "pager.html").write_text("{{ site.posts.size }}\n", encoding="utf-8")
    process = archive_build(root, site)
    assert "_includes/pager.html reads site.posts" in process.stderr
    assert archive_build(root, site).stdout.startswith("built ")  # every build, while the theme reads them


@pytest.mark.slow
def test_a_build_stopped_midway_makes_the_next_one_full(archives, tmp_path):
    root, _ = archives
    site = tmp_path / "site"
    archive_build(root, site)
    incremental.forget(site)  # what a build does first: killed after it, the site has no manifest
    assert archive_build(root, site).stdout.startswith("built ")
    assert archive_build(root, site).stdout.startswith("updated ")


def test_merge_writes_new_bytes_keeps_same_bytes_and_removes_what_is_no_longer_the_sites(tmp_path):
    update, out = tmp_path / "update", tmp_path / "out"
    for folder, files in {
        update: {"a.html": "new", "same.html": "same", "x/b.html": "b", "2022/1.html": "post"},
        out: {"a.html": "old", "same.html": "same", "gone.html": "g", "old/c.html": "c", "2022": "static file",
              "kept.html": "k", "pagefind/p.js": "p", layout.SITE_MARKER: "m"},
    }.items():  # fmt: skip
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    os.utime(out / "same.html", ns=(1, 1))
    written, removed = incremental.merge(update, out, ["a.html", "same.html", "x/b.html", "2022/1.html", "kept.html"])
    assert (out / "a.html").read_text() == "new" and (out / "2022/1.html").read_text() == "post"
    assert (out / "same.html").stat().st_mtime_ns == 1  # the same bytes: left as it is
    assert not (out / "gone.html").exists() and not (out / "old").exists()
    assert (out / "kept.html").exists() and (out / "pagefind/p.js").exists() and (out / layout.SITE_MARKER).exists()
    assert (written, removed) == (3, 2)
    assert not list(out.rglob("*.update"))


def test_a_touched_file_of_the_same_bytes_keeps_its_hash_and_a_changed_one_does_not(tmp_path):
    path = tmp_path / "post.md"
    path.write_text("one", encoding="utf-8")
    first = Signature.of(path)
    os.utime(path, ns=(5, 5))
    touched = Signature.of(path, first)
    assert touched.sha1 == first.sha1 and touched != first
    earlier = Manifest("f", "4.3.1", {"post.md": {"sig": first.as_list(), "lists": []}}, {})
    assert incremental.plan(earlier, {"post.md": touched}, {}).posts == []  # the same bytes: no change
    path.write_text("two", encoding="utf-8")
    assert Signature.of(path, touched).sha1 != first.sha1


def test_the_plan_names_new_changed_and_removed_posts_and_the_lists_they_were_on(tmp_path):
    def sig(text: str) -> Signature:
        return Signature(len(text), 1, 1, text)

    earlier = Manifest(
        "f",
        "4.3.1",
        {
            "same.md": {"sig": sig("s").as_list(), "lists": ["category:a", "month:2024/01"]},
            "changed.md": {"sig": sig("c").as_list(), "lists": ["category:b", "month:2024/02"]},
            "gone.md": {"sig": sig("g").as_list(), "lists": ["category:c", "month:2024/03"]},
        },
        {"assets/x.png": sig("x").as_list()},
    )
    plan = incremental.plan(
        earlier,
        {"same.md": sig("s"), "changed.md": sig("c2"), "new.md": sig("n")},
        {"assets/x.png": sig("x"), "assets/y.png": sig("y")},
    )
    assert plan.posts == ["changed.md", "new.md"] and plan.removed == ["gone.md"]
    assert plan.lists == ["category:b", "category:c", "month:2024/02", "month:2024/03"]
    assert plan.files == ["assets/y.png"]


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("{{ site.title }} {{ site.baseurl }} {{ content }}", False),
        ("{% for post in site.posts %}{{ post.title }}{% endfor %}", True),
        ("{{ site.data.finews.posts }}", True),
        ("{{ page.next.url }}", True),
        ("{{ site['posts'] }}", True),
    ],
)
def test_a_theme_of_the_archive_that_reads_more_than_settings_makes_every_build_full(tmp_path, text, full):
    layout_file = tmp_path / "post.html"
    layout_file.write_text(text, encoding="utf-8")
    why = incremental.why_full({"_layouts/post.html": layout_file}, template=tmp_path / "template")
    assert (why is not None) == full, why
    assert incremental.why_full({"_layouts/post.html": layout_file}, template=tmp_path) is None  # the template's own


def test_a_manifest_of_another_format_or_unreadable_is_none(tmp_path):
    (tmp_path / layout.SITE_MANIFEST).write_text('{"format": 0}', encoding="utf-8")
    assert incremental.read_manifest(tmp_path) is None
    (tmp_path / layout.SITE_MANIFEST).write_text("not json", encoding="utf-8")
    assert incremental.read_manifest(tmp_path) is None
    incremental.remember(tmp_path, Manifest("f", "4.3.1", {}, {}, {"a.html": [1, 2]}))
    assert incremental.read_manifest(tmp_path) == Manifest("f", "4.3.1", {}, {}, {"a.html": [1, 2]})


@pytest.mark.slow
def test_a_site_folder_changed_since_the_last_build_is_built_in_full(archives, tmp_path):
    """An update trusts the files it does not write only as the last build left them: an edited page or
    a file put there (a site folder committed with the archive, restored from elsewhere) makes it full."""
    root, _ = archives
    site = tmp_path / "site"
    archive_build(root, site)
    page = next(site.glob("20*/*/*/*.html"))
    page.write_text("<script>alert(1)</script>", encoding="utf-8")
    (site / "planted.html").write_text("<script>alert(2)</script>", encoding="utf-8")
    process = archive_build(root, site)
    assert process.stdout.startswith("built ") and "the site folder is not as the last build left it" in process.stderr
    assert "<script>" not in page.read_text(encoding="utf-8") and not (site / "planted.html").exists()


@pytest.mark.slow
def test_what_the_site_folder_keeps_is_never_a_file_of_the_archive(archives, tmp_path):
    """A file of the archive under pagefind/ (a bundle's script) or at the manifest's name is left out,
    in a full build and in an update: the search index and the manifest are the build's own."""
    root, _ = archives
    site = tmp_path / "site"
    (root / "pagefind" / "2022").mkdir(parents=True)
    (root / "pagefind" / "2022" / "pagefind.js").write_text('alert("pwned")', encoding="utf-8")
    (root / "manifest.html").write_text("---\npermalink: /.finews-build.json\n---\n{}", encoding="utf-8")
    for _ in range(2):
        process = archive_build(root, site)
        assert not (site / "pagefind").exists()  # --no-search: no index, and nothing of the archive there
        assert incremental.read_manifest(site) is not None
    assert process.stdout.startswith("updated ") and "pagefind/2022/pagefind.js: left out" in process.stderr


@pytest.mark.slow
def test_a_page_where_a_post_goes_gives_way_to_the_post(archives, tmp_path):
    root, _ = archives
    site = tmp_path / "site"
    archive_build(root, site)
    post = sorted((root / "_posts").glob("*.md"))[0]
    year, month, day, name = post.name.split("-", 3)
    url = f"/{year}/{month}/{day}/{name.removesuffix('.md')}.html"
    (root / "page.html").write_text(f"---\npermalink: {url}\n---\nPAGE HERE\n", encoding="utf-8")
    process = archive_build(root, site)
    assert "it would be written where the post" in process.stderr
    full = tmp_path / "full"
    archive_build(root, full)
    assert tree(site) == tree(full)
    assert "PAGE HERE" not in (site / url.lstrip("/")).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{{% post_url {post} %}}", "looks a file up (post_url)"),
        ("{{% liquid\n  post_url {post}\n%}}", "looks a file up (post_url)"),
        ("{{% include_relative notes.txt %}}", "looks a file up (include_relative)"),
    ],
)
def test_a_page_that_looks_a_post_up_makes_every_build_full(archives, tmp_path, text, why):
    root, _ = archives
    site = tmp_path / "site"
    post = sorted((root / "old_post").glob("*.md"))[0]
    (root / "notes.txt").write_text(f"{{% post_url {post.stem} %}}\n", encoding="utf-8")
    (root / "about.html").write_text("---\n---\n" + text.format(post=post.stem) + "\n", encoding="utf-8")
    archive_build(root, site)
    for _ in range(2):
        process = archive_build(root, site)
        assert process.stdout.startswith("built ") and why in process.stderr
    assert (site / "about.html").is_file()


@pytest.mark.slow
def test_a_post_that_holds_liquid_makes_every_build_full(archives, tmp_path):
    root, _ = archives
    site = tmp_path / "site"
    post = sorted((root / "_posts").glob("*.md"))[0]
    post.write_text(post.read_text(encoding="utf-8") + "\n<p>{{ site.posts | size }}</p>\n", encoding="utf-8")
    archive_build(root, site)
    process = archive_build(root, site)
    assert process.stdout.startswith("built ") and f"the post {post.name} holds Liquid" in process.stderr


@pytest.mark.slow
def test_pages_at_a_static_files_path_and_titles_json_does_not_keep_stay_exact(archives, tmp_path):
    """A page where a static file goes gives way to it (Jekyll writes the static file last); a post
    whose title YAML reads as a date is read again by every update (its list entry is no text)."""
    root, _ = archives
    site = tmp_path / "site"
    (root / "foo").mkdir()
    (root / "foo" / "bar.txt").write_text("STATIC\n", encoding="utf-8")
    (root / "fb.html").write_text("---\npermalink: /foo/bar.txt\n---\nPAGE\n", encoding="utf-8")
    (root / "sizes.html").write_text(
        "---\n---\n{% for e in site.data.finews.newest %}{{ e.title | size }},{% endfor %}\n", encoding="utf-8"
    )
    post = sorted((root / "_posts").glob("*.md"))[-1]
    text = post.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    post.write_text(text.replace(title, "title: 2021-12-31", 1), encoding="utf-8")
    archive_build(root, site)
    other = sorted((root / "_posts").glob("*.md"))[0]
    other.write_text(other.read_text(encoding="utf-8").replace("第二段。", "第二段，改。"), encoding="utf-8")
    process = archive_build(root, site)
    assert process.stdout.startswith("updated ") and "where the static file foo/bar.txt goes" in process.stderr
    full = tmp_path / "full"
    archive_build(root, full)
    assert tree(site) == tree(full)
    assert (site / "foo" / "bar.txt").read_text(encoding="utf-8") == "STATIC\n"


@pytest.mark.slow
def test_sigterm_stops_a_build_with_status_7_and_leaves_no_temporary_folder(archives, tmp_path):
    import signal

    root, _ = archives
    temp = tmp_path / "temp"
    temp.mkdir()
    command = scrapy_command("archive", "build", "--no-search", "--out", str(tmp_path / "site"),
                             settings={"FINEWS_ARCHIVE_DIR": root})  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "TMPDIR": str(temp)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(temp.glob("finews-site-*/built.json")) and not list(temp.glob("finews-site-*/source/_posts/*")):
        assert time.monotonic() < deadline and process.poll() is None, "the build never staged its posts"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 7, stderr
    assert "stopped by signal 15" in stderr and "Traceback" not in stderr
    assert not list(temp.iterdir())
    assert archive_build(root, tmp_path / "site").stdout.startswith("built ")


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["posts"]["a.md"].update(sig=1),
        lambda m: m["posts"]["a.md"].update(sig=[1, 2]),
        lambda m: m["posts"]["a.md"].update(file="/etc/passwd"),
        lambda m: m["posts"]["a.md"].update(file="../x.html"),
        lambda m: m["posts"]["a.md"]["entry"].update(url="javascript:alert(1)//"),
        lambda m: m["posts"]["a.md"]["entry"].update(url="//evil.example/x"),
        lambda m: m["posts"]["a.md"]["entry"].update(date="yesterday"),
        lambda m: m["posts"]["a.md"].update(lists=3),
        lambda m: m["posts"]["a.md"].update(file="index.html"),  # not the file of its URL
        lambda m: m.update(posts=[]),
        lambda m: m.update(site={"a": 1}),
    ],
)
def test_a_manifest_not_as_a_build_writes_it_is_none(tmp_path, change):
    import json

    good = {
        "format": incremental.FORMAT, "fingerprint": "f", "jekyll": "4.3.1", "files": {}, "site": {"a.html": [1, 2]},
        "posts": {"a.md": {"sig": [1, 2, 3, "s", False], "file": "2024/01/01/a.html", "date": "2024-01-01", "reread": False,
                           "lists": ["category:x"], "entry": {"url": "/2024/01/01/a.html", "title": ["a", 1],
                           "date": "2024-01-01T08:00:00.000000000+08:00", "category": "x", "tag": "X"}}},
    }  # fmt: skip
    (tmp_path / layout.SITE_MANIFEST).write_text(json.dumps(good), encoding="utf-8")
    assert incremental.read_manifest(tmp_path) is not None
    change(good)
    (tmp_path / layout.SITE_MANIFEST).write_text(json.dumps(good), encoding="utf-8")
    assert incremental.read_manifest(tmp_path) is None


@pytest.mark.parametrize("value", ["0", "-3", "many", "2.5"])
def test_a_bundle_size_that_is_no_whole_number_from_1_is_refused(tmp_path, value):
    synthesize_archive(tmp_path / "archive", 3, sources=2)
    command = scrapy_command(
        "archive", "build", settings={"FINEWS_ARCHIVE_DIR": tmp_path / "archive", "FINEWS_SEARCH_BUNDLE_POSTS": value}
    )
    process = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert process.returncode == 2 and "FINEWS_SEARCH_BUNDLE_POSTS" in process.stderr
    assert "Traceback" not in process.stderr and not (tmp_path / "archive" / "_site").exists()
