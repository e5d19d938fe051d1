"""The item feed for other tools: `scrapy crawl <spider> -O items.jsonl` against the mirror, both spiders.

UTF-8 JSON Lines (no \\u escapes), one line per new post, the documented field names in their
order and types, `published_at` in ISO 8601 with +08:00, `stocks` and `boards` as the mirror's
markup and stockLists tag them; the run report agrees.
"""

import json
import re

import pytest
import yaml

from fixtures.testing import FIXTURE_SITE, serve
from tests.crawl import scrapy_crawl

pytestmark = pytest.mark.slow  # a real `scrapy crawl -O` of each spider

FIELDS = {  # docs/reference.md "Item feed": per spider, field -> type, in export order
    "eastmoney": {"info_code": str, "url": str, "title": str, "published_at": str, "source": str, "paragraphs": list,
                  "stocks": list, "boards": list},
    "eastmoney_724": {"article_id": str, "url": str, "title": str, "published_at": str, "summary": str,
                      "paragraphs": list, "source": str, "stocks": list, "boards": list},
}  # fmt: skip
ISO_BEIJING = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture(scope="module", params=sorted(FIELDS))
def feed(request, tmp_path_factory):
    spider, tmp = request.param, tmp_path_factory.mktemp("feed")
    server, base_url = serve()
    try:
        process = scrapy_crawl(
            base_url, tmp / "archive", spider=spider, output=tmp / "items.jsonl", FINEWS_REPORT_FILE=tmp / "report.json"
        )
    finally:
        server.shutdown()
    report = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
    return spider, (tmp / "items.jsonl").read_bytes(), tmp / "archive", report, process.stderr


def test_feed_is_utf8_json_lines_with_the_documented_fields(feed):
    spider, raw, _, report, _ = feed
    assert b"\\u" not in raw and re.search("[\u4e00-\u9fff]", raw.decode("utf-8"))  # Chinese as UTF-8, never escaped
    items = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert len(items) == report["new_posts"] > 20
    for item in items:
        assert list(item) == list(FIELDS[spider])
        assert all(isinstance(item[name], kind) for name, kind in FIELDS[spider].items()), item
        assert all(isinstance(block, str) for block in item["paragraphs"])
        assert ISO_BEIJING.match(item["published_at"]), item["published_at"]
        assert re.fullmatch(r"https://finance\.eastmoney\.com/a/\d{17,18}\.html", item["url"])


def test_feed_items_carry_the_securities_east_money_tagged(feed):
    """Every item's stocks and boards are the mirror's ground truth (fixtures/build_mirror.py): the
    article page's markup; 7x24, then the feed entry's stockList."""
    spider, raw, _, _, _ = feed
    manifest = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
    truth = {a["id"]: a for a in manifest["articles" if spider == "eastmoney" else "fast"]}
    items = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    for item in items:
        expected = truth[item["info_code"][2:] if spider == "eastmoney" else item["article_id"]]
        assert (item["stocks"], item["boards"]) == (expected["stocks"], expected["boards"]), item["url"]
        for security in item["stocks"] + item["boards"]:
            assert list(security) == ["secid", "code", "name"] and all(isinstance(v, str) for v in security.values())
    assert sum(1 for item in items if item["stocks"]) > 5 and any(item["boards"] for item in items)
    if spider == "eastmoney_724":
        assert any(item["stocks"] and not item["paragraphs"] for item in items)  # a stockList alone


def test_feed_items_are_the_posts_written(feed):
    spider, raw, archive, _, _ = feed
    items = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    for item in items:
        key = item["info_code"] if spider == "eastmoney" else item["article_id"]
        post = archive / "_posts" / f"{item['published_at'][:10]}-{key}.md"
        front = yaml.safe_load(post.read_text(encoding="utf-8").split("---\n")[1])
        assert front["title"] == item["title"]
        assert front["date"] == item["published_at"].replace("T", " ").replace("+08:00", " +0800")
        if spider == "eastmoney":
            assert front["tags"] == item["source"] + "新闻"
    assert len(items) == len(list((archive / "_posts").glob("*.md")))


def test_report_of_the_run(feed):
    spider, _, _, report, stderr = feed
    assert report["spider"] == spider and report["exit_status"] == 0 and report["finish_reason"] == "finished"
    assert ISO_BEIJING.match(report["started_at"]) and report["finished_at"] >= report["started_at"]
    assert 0 < report["duration_seconds"] < 300
    assert sum(report["new_posts_by_source"].values()) == report["new_posts"]
    assert report["lists_read"] == sum(report["lists_read_by_category"].values()) > 0
    assert "\x1b" not in stderr  # no terminal display when stderr is not a terminal


@pytest.fixture(scope="module")
def tagged_posts(feed, tmp_path_factory):
    """The same crawl with FINEWS_FRONT_MATTER_STOCKS on: its posts by file name."""
    spider, tmp = feed[0], tmp_path_factory.mktemp("tagged")
    server, base_url = serve()
    try:
        scrapy_crawl(base_url, tmp / "archive", spider=spider, FINEWS_FRONT_MATTER_STOCKS="True")
    finally:
        server.shutdown()
    return {post.name: post.read_text(encoding="utf-8") for post in (tmp / "archive" / "_posts").glob("*.md")}


def test_with_the_switch_on_each_post_names_its_stocks_and_is_otherwise_the_same(feed, tagged_posts):
    """FINEWS_FRONT_MATTER_STOCKS: each post whose item has stocks gains one front matter line of their
    secids, in the item's order (boards are no stocks); every other byte is the post written without it."""
    spider, raw, archive, _, _ = feed
    items = {
        (item["info_code"] if spider == "eastmoney" else item["article_id"]): item
        for item in map(json.loads, raw.decode("utf-8").splitlines())
    }
    plain = {post.name: post.read_text(encoding="utf-8") for post in (archive / "_posts").glob("*.md")}
    assert sorted(tagged_posts) == sorted(plain)
    named = 0
    for name, text in tagged_posts.items():
        item = items[name[11:-3]]
        secids = [stock["secid"] for stock in item["stocks"]]
        line = f"stocks: {json.dumps(secids, ensure_ascii=False)}\n".replace('","', '", "')
        if secids:
            named += 1
            assert yaml.safe_load(text.split("---\n")[1])["stocks"] == secids
            assert text.replace(line, "", 1) == plain[name], name
        else:
            assert text == plain[name], name
    assert named > 5
