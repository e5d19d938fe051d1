"""Posts in the archive's format: the seed post reproduced field by field, and hostile values."""

import re
from datetime import datetime

import pytest
import yaml

from crawler import settings as defaults
from crawler.archive.render import render_category_page, render_post, yaml_quoted, yaml_scalar
from crawler.archive.slugs import category_slug
from crawler.items import SHANGHAI, ListEntry
from crawler.parsers import parse_article
from tests.conftest import FIXTURES, REFERENCE, make_article

SEED_ID = "202112312231871790"


def split_post(text: str) -> tuple[dict, str, list[str]]:
    """Front matter, body HTML, and the lines after the body (share link, back links)."""
    _, front, rest = text.split("---\n", 2)
    body, *tail = rest.split("\n\n")
    return yaml.safe_load(front), body, tail


def paragraph_texts(body: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s", "", p) for p in re.findall(r"<p>(.*?)</p>", body)]


def render_seed() -> str:
    html = (FIXTURES / "pages" / "seed-old-template.html").read_text(encoding="utf-8")
    listed = ListEntry(SEED_ID, published_at=datetime(2021, 12, 31, 6, 49, 26, tzinfo=SHANGHAI))
    article = parse_article(html, f"https://finance.eastmoney.com/a/{SEED_ID}.html", listed)
    return render_post(article, category_slug(article.source), defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL)


def test_seed_post_reproduced_field_by_field():
    seed = (REFERENCE / "seed-post.md").read_text(encoding="utf-8")
    ours = render_seed()
    seed_front, seed_body, seed_tail = split_post(seed)
    our_front, our_body, our_tail = split_post(ours)
    assert our_front == seed_front
    assert ours.split("\n")[:7] == seed.split("\n")[:7]  # the front matter lines themselves
    assert paragraph_texts(our_body) == paragraph_texts(seed_body)
    assert our_body.endswith('<p class="em_media">（文章来源：中国证券报·中证网）</p>')
    assert our_tail == seed_tail  # share link and back links, byte for byte


@pytest.mark.parametrize(
    "title",
    ['他说"你好"：yes', "yes", "No", "12:30", "null", "- 开头", "*ST康美：公告", "&anchor", "!tag", "# 注释", "---",
     "[研报] {a: b}", "{% raw %}", "tab\there", "line\nbreak", "emoji 🚀", "back\\slash", "x\u2028y", "'single'"],
)  # fmt: skip
def test_hostile_titles_stay_valid_yaml(title):
    assert yaml.safe_load(f"title: {yaml_quoted(title)}") == {"title": title}
    post = render_post(make_article(title=title), "slug", defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL)
    assert split_post(post)[0]["title"] == title


@pytest.mark.parametrize(
    "value", ["zhengquanshibao", "yes", "on", "a: b", "#x", "21shijijingjibaodao  nancailicaitong"]
)
def test_plain_scalars_only_when_they_read_back(value):
    assert yaml.safe_load(f"k: {yaml_scalar(value)}") == {"k": value}


def test_liquid_in_body_is_not_executed():
    plain = render_post(make_article(), "slug", "{info_code}", "//site")
    assert "render_with_liquid" not in plain
    liquid = render_post(
        make_article(paragraphs=["<p>{{ site.title }} {% include x %}</p>"]), "slug", "{info_code}", "//site"
    )
    assert split_post(liquid)[0]["render_with_liquid"] is False


def test_source_with_markup_characters_is_escaped():
    post = render_post(make_article(source="A&B<b>[x]"), "AandB", "{info_code}", "//site")
    assert "（文章来源：A&amp;B&lt;b&gt;&#91;x&#93;）" in post  # entities: text in an HTML block and in Markdown
    assert r"[返回A&amp;B&lt;b&gt;\[x\]新闻](//site/category/AandB.html)" in post  # text, never markup


def test_category_link_encodes_spaces_and_parentheses():
    post = render_post(make_article(), "anxinguojizhengquan(xianggang) x", "{info_code}", "//site")
    assert "(//site/category/anxinguojizhengquan%28xianggang%29%20x.html)" in post


def test_category_page():
    page = render_category_page("中国证券报·中证网", "zhongguozhengquanbao·zhongzhengwang")
    assert yaml.safe_load(page.split("---\n")[1]) == {
        "layout": "category",
        "title": "中国证券报·中证网新闻",
        "category": "zhongguozhengquanbao·zhongzhengwang",
    }


def tagged_article():
    article = make_article()
    article.stocks = [
        {"secid": "1.600030", "code": "600030", "name": "中信证券"},
        {"secid": "0.002353", "code": "002353", "name": "杰瑞股份"},
        {"secid": "1.600030", "code": "600030", "name": ""},  # repeated
        {"secid": "90.BK1036", "code": "BK1036", "name": "半导体"},  # a board is no stock
        {"secid": '1.600519"]\nlayout: x', "code": "600519", "name": ""},  # no secid (a foreign spider's)
        "1.600519",
        {"secid": 1.600519},
    ]
    return article


def test_the_front_matter_names_the_stocks_only_when_asked():
    """Off by default, the post is the archive's format byte for byte; with FINEWS_FRONT_MATTER_STOCKS
    a `stocks:` line of quoted secids follows `tags:` (quoted: plain, `1.600030` is a number)."""
    from crawler.archive.render import render_fast_post

    article = tagged_article()
    plain = render_post(article, "slug", defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL)
    assert plain == render_post(make_article(), "slug", defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL)
    tagged = render_post(article, "slug", defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL, stocks=True)
    assert tagged.split("\n")[6:8] == ['stocks: ["1.600030", "0.002353"]', "---"]
    assert split_post(tagged)[0]["stocks"] == ["1.600030", "0.002353"]
    assert tagged.replace('stocks: ["1.600030", "0.002353"]\n', "") == plain
    fast = {"title": "快讯", "published_at": article.published_at, "article_id": "202612010000000001",
            "summary": "摘要", "paragraphs": [], "stocks": article.stocks}  # fmt: skip
    assert 'stocks: ["1.600030", "0.002353"]' in render_fast_post(fast, "", stocks=True)
    assert "stocks:" not in render_fast_post(fast, "")
    untagged = render_post(make_article(), "slug", defaults.FINEWS_SHARE_URL, defaults.FINEWS_SITE_URL, stocks=True)
    assert "stocks:" not in untagged  # no stock: no line
