"""End to end: a real `scrapy crawl eastmoney` against the fixture mirror served on 127.0.0.1.

The archive must equal fixtures/expected/ file for file, agree with the mirror's ground truth
(fixtures/site/manifest.json), and a second run must write nothing and request no article.
Set FINEWS_UPDATE_EXPECTED=1 to rewrite fixtures/expected/ after a deliberate format change.
"""

import html
import json
import os
import re
import shutil

import pytest
import yaml

from crawler.categories import COLUMNS, DEFAULT_CATEGORIES
from fixtures.testing import FIXTURE_SITE, serve
from tests.conftest import FIXTURES
from tests.crawl import archive_files, scrapy_crawl

pytestmark = pytest.mark.slow  # real `scrapy crawl` processes against the mirror

EXPECTED = FIXTURES / "expected"
MANIFEST = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
ARTICLE_PATH_RE = re.compile(r"/a/\d{17,18}\.html")


@pytest.fixture(scope="module")
def mirror():
    server, base_url = serve()
    yield server, base_url
    server.shutdown()


@pytest.fixture(scope="module")
def first_run(mirror, tmp_path_factory):
    server, base_url = mirror
    archive = tmp_path_factory.mktemp("e2e") / "archive"
    server.requested.clear()
    process = scrapy_crawl(base_url, archive)
    return archive, archive_files(archive), list(server.requested), process.stderr


def split_post(text):
    _, front, rest = text.split("---\n", 2)
    return yaml.safe_load(front), rest


def body_text(rest: str) -> str:
    body = rest.split("\n\n<http")[0].rsplit('<p class="em_media">', 1)[0]
    return re.sub(r"\s", "", html.unescape(re.sub(r"<[^>]+>", "", body)))


def listed_articles() -> list[dict]:
    """Manifest articles that the default categories list within the first 3 pages."""
    default_columns = {str(COLUMNS[slug]) for slug in DEFAULT_CATEGORIES}
    return [a for a in MANIFEST["articles"] if default_columns & {str(c) for c in a["columns"]} and a["show_time"]]


def test_archive_equals_expected(first_run):
    archive, files, _, _ = first_run
    if os.environ.get("FINEWS_UPDATE_EXPECTED") == "1":
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(archive, EXPECTED)
    expected = archive_files(EXPECTED)
    assert sorted(files) == sorted(expected)
    for name, text in expected.items():
        assert files[name] == text, name


def test_posts_agree_with_the_mirror_ground_truth(first_run):
    _, files, _, _ = first_run
    articles = listed_articles()
    assert len(articles) >= 40
    for article in articles:
        day = article["show_time"][:10]
        name = f"_posts/{day}-NW{article['id']}.md"
        assert name in files, name
        front, rest = split_post(files[name])
        assert front["title"] == article["title"]
        assert files[name].split("\n")[3] == f"date: {article['show_time']} +0800"
        assert front["categories"] == article["slug"]
        assert front["tags"] == article["source"] + "新闻"
        assert f"（文章来源：{article['source']}）" in rest.replace("&amp;", "&")
        assert body_text(rest) == article["text"], name
        assert re.findall(r'<img src="([^"]+)"', rest) == article["images"]
        assert rest.count("<table>") == article["tables"]
        assert f"category/{article['slug']}.html" in files


def test_nothing_else_is_written(first_run):
    _, files, _, _ = first_run
    posts = {name for name in files if name.startswith("_posts/")}
    assert posts == {f"_posts/{a['show_time'][:10]}-NW{a['id']}.md" for a in listed_articles()}
    assert all(name.startswith(("_posts/", "category/")) for name in files)


def test_each_article_downloaded_once(first_run):
    _, _, requested, _ = first_run
    articles = [path for path in requested if ARTICLE_PATH_RE.search(path)]
    assert len(articles) == len(set(articles)) == len(listed_articles())


def test_second_run_writes_nothing_and_fetches_no_article(first_run, mirror):
    archive, files, _, _ = first_run
    server, base_url = mirror
    server.requested.clear()
    process = scrapy_crawl(base_url, archive)
    assert archive_files(archive) == files
    assert not [path for path in server.requested if ARTICLE_PATH_RE.search(path)]
    assert len(server.requested) == len(DEFAULT_CATEGORIES)  # one list request per category
    assert "new posts: 0" in process.stderr


def test_html_lists_give_the_same_articles(mirror, tmp_path, first_run):
    _, api_files, _, _ = first_run
    _, base_url = mirror
    scrapy_crawl(base_url, tmp_path, "lists=html")
    html_files = archive_files(tmp_path)
    assert sorted(html_files) == sorted(api_files)
    for name, text in html_files.items():
        if name.startswith("_posts/"):
            ours, theirs = split_post(text), split_post(api_files[name])
            assert ours[1] == theirs[1]
            assert {k: v for k, v in ours[0].items() if k != "date"} == {
                k: v for k, v in theirs[0].items() if k != "date"
            }


def test_backfill_keeps_only_the_range(mirror, tmp_path):
    _, base_url = mirror
    days = sorted({a["show_time"][:10] for a in listed_articles()})
    since, until = days[len(days) // 4], days[len(days) // 2]
    scrapy_crawl(base_url, tmp_path, f"since={since}", f"until={until}")
    posts = sorted(p.name for p in (tmp_path / "_posts").glob("*.md"))
    expected = sorted(
        {f"{a['show_time'][:10]}-NW{a['id']}.md" for a in listed_articles() if since <= a["show_time"][:10] <= until}
    )
    assert posts and posts == expected


def test_known_articles_are_not_downloaded(mirror, tmp_path, first_run):
    """Posts from an older archive (the old-posts folder) count as known."""
    _archive, files, _, _ = first_run
    server, base_url = mirror
    old = tmp_path / "old_post"
    old.mkdir()
    known = sorted(name for name in files if name.startswith("_posts/"))[:5]
    for name in known:
        (old / name.removeprefix("_posts/")).write_text(files[name], encoding="utf-8")
    server.requested.clear()
    scrapy_crawl(base_url, tmp_path)
    fetched = {path.rsplit("/", 1)[-1] for path in server.requested if ARTICLE_PATH_RE.search(path)}
    for name in known:
        assert re.search(r"NW(\d+)\.md", name).group(1) + ".html" not in fetched
    assert len(list((tmp_path / "_posts").glob("*.md"))) == len(listed_articles()) - len(known)
