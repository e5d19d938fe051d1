"""The article parser on real East Money markup: the seed page, real fragments, hostile pages.

Poison pages parse in linear time, and a page over the tag budget is dropped with its own reason.
"""

import re
from datetime import datetime

import pytest

from crawler.items import SHANGHAI, ListEntry
from crawler.parsers import ParseError, parse_article
from crawler.parsers.body import media_from_em_line
from tests.conftest import FIXTURES, REFERENCE

SEED_ID = "202112312231871790"
SEED_URL = f"https://finance.eastmoney.com/a/{SEED_ID}.html"


def text_of(block: str) -> str:
    return re.sub(r"<[^>]+>", "", block)


def new_template(body: str, title="标题", time="2026年01月03日 17:46", source="第一财经") -> str:
    """A page in the new (2022-) template around a real ContentBody."""
    return (
        '<html><head><meta charset="utf-8"><title>x_东方财富网</title></head><body><div class="main">'
        f'<div class="contentwrap"><div class="contentbox"><div class="title">{title}</div>'
        f'<div class="infos"><div class=" item">{time}</div><div class="item">来源：{source}</div></div>'
        f'<div class="mainleft"><div class="zwinfos">{body}</div></div>'
        '<div class="mainright">推荐阅读 <a href="/a/1.html">x</a></div></div></div></div></body></html>'
    )


def fragment(name: str) -> str:
    return (REFERENCE / "fragments" / name).read_text(encoding="utf-8")


def test_seed_page_old_template():
    html = (FIXTURES / "pages" / "seed-old-template.html").read_text(encoding="utf-8")
    article = parse_article(html, SEED_URL)
    assert article.info_code == "NW" + SEED_ID
    assert article.url == SEED_URL
    assert article.title == "深交所：推动数字化转型发展 提升“数智”赋能实效"
    assert article.published_at == datetime(2021, 12, 31, 6, 49, tzinfo=SHANGHAI)  # the page has minutes
    assert article.source == "中国证券报·中证网"
    assert len(article.paragraphs) == 13
    assert article.paragraphs[1] == "<p><strong>深化科技监管改革</strong></p>"
    assert not any("　" in p[:5] or "em_media" in p or "责任编辑" in p for p in article.paragraphs)


def test_list_time_with_seconds_wins():
    html = (FIXTURES / "pages" / "seed-old-template.html").read_text(encoding="utf-8")
    listed = ListEntry(SEED_ID, published_at=datetime(2021, 12, 31, 6, 49, 26, tzinfo=SHANGHAI))
    assert parse_article(html, "http://127.0.0.1:1/x", listed).published_at.second == 26


def test_new_template_fragment_unwraps_stock_links():
    article = parse_article(new_template(fragment("frag_contentbody_txtinfos_2026-01.html")), SEED_URL)
    assert article.source == "第一财经"
    assert len(article.paragraphs) == 11
    assert article.paragraphs[1] == "<p><strong>①中信证券：开年后市场震荡向上的概率更高</strong></p>"
    joined = "".join(article.paragraphs)
    assert "span" not in joined and "keytip" not in joined and "quote.eastmoney.com" not in joined
    assert "半导体自主可控" in joined


def test_auto_linked_ocean_keeps_its_text():
    body = f'<div id="ContentBody">{fragment("frag_contentbody_inner_2025-06.html")}</div>'
    article = parse_article(new_template(body, source="央视网"), SEED_URL)
    assert article.source == "央视新闻"  # em_media beats the page header
    assert "靠近亚洲大陆一侧的太平洋和印度洋" in article.paragraphs[1]
    assert "<strong>亚洲海面十年升温率几乎是全球平均值的两倍</strong>" in article.paragraphs[1]


def test_table_fragment():
    body = f'<div id="ContentBody" class="Body">{fragment("frag_contentbody_inner_table_2019-01.html")}</div>'
    article = parse_article(new_template(body), SEED_URL)
    assert article.source == "全球金属网"
    assert len(article.paragraphs) == 1 and article.paragraphs[0].startswith("<table><tbody><tr><td>品名</td>")
    assert "class=" not in article.paragraphs[0] and "cellpadding" not in article.paragraphs[0]


@pytest.mark.parametrize("post", sorted((REFERENCE / "posts").glob("*.md")), ids=lambda p: p.name)
def test_archive_bodies_lose_their_junk(post):
    """The archive's real bodies carry hidden paragraphs and quote charts; parsing drops them."""
    body = post.read_text(encoding="utf-8").split("---\n", 2)[2].split("\n\n<http")[0]
    expected_source = re.search(r"文章来源：(.+?)）</p>\s*$", body).group(1)
    article = parse_article(new_template(f'<div id="ContentBody">{body}</div>'), SEED_URL)
    assert article.source == expected_source
    joined = "".join(article.paragraphs)
    for junk in ("display:none", "EM_StockImg", "webquoteklinepic", "EmImageRemark", "style=", "<br></p>"):
        assert junk not in joined
    kept_text = "".join(text_of(p) for p in article.paragraphs)
    original_text = re.sub(r"\s", "", text_of(body.rsplit('<p class="em_media">', 1)[0]))
    assert re.sub(r"\s", "", kept_text) == original_text  # every word of the article survives
    for src in re.findall(r'<img src="(https://dfscdn[^"]+)"', body):
        assert f'<img src="{src}"' in joined


def test_junk_of_eastmoney_is_dropped():
    body = """<div id="ContentBody">
      <p><a href="https://acttg.eastmoney.com/pub/x">在东方财富看资讯行情，选东方财富证券一站式开户交易&gt;&gt;</a></p>
      <p style="display:none;height:1px;overflow:hidden;"><br /></p>
      <p>　　正文第一段。</p>
      <a href="https://acttg.eastmoney.com/pub/web_app"><img class="em_handle_adv_close" src="https://x.dfcfw.com/ad.jpg"></a>
      <!-- 正文中部 --><div class="ad_context3"><a href="https://ad.example/">广告</a></div>
      <p>主力资金加仓名单实时更新，点击查看&gt;&gt;</p>
      <p><a class="toplink" href="https://ai.eastmoney.com/">全新妙想投研助理，立即体验</a></p>
      <p>&nbsp;</p><p><br/></p>
      <center><img src="//np-newspic.dfcfw.com/download/D1.jpg" alt="Image"></center>
      <p><img src="http://dfscdn.dfcfw.com/download/D2.jpg" alt="走势图"></p>
      <p>免责声明：本文基于AI生产，仅供参考。</p>
      <p class="em_media">（文章来源：证券时报网）</p>
      <p>（责任编辑：DF1）</p><p>郑重声明：东方财富网发布此信息</p>
    </div>"""
    article = parse_article(new_template(body, source="x"), SEED_URL)
    assert article.paragraphs == [
        "<p>正文第一段。</p>",
        '<p><img src="https://np-newspic.dfcfw.com/download/D1.jpg"></p>',
        '<p><img src="https://dfscdn.dfcfw.com/download/D2.jpg" alt="走势图"></p>',
    ]
    assert article.source == "证券时报网"


@pytest.mark.parametrize(
    ("line", "media"),
    [
        ("（文章来源：中国证券报·中证网）", "中国证券报·中证网"),
        ("（文章来源：安信国际证券(香港)）", "安信国际证券(香港)"),
        ("（文章来源：东方财富Choice（数据））", "东方财富Choice（数据）"),
        ("（文章来源：财经网（北京）", "财经网（北京"),
        ("(文章来源：21世纪经济报道 21财经APP)", "21世纪经济报道 21财经APP"),
        ("文章来源：安信国际证券(香港)", "安信国际证券(香港)"),
        ("（文章来源：英为财情investing）", "英为财情investing"),
    ],
)
def test_media_names_survive_whole(line, media):
    assert media_from_em_line(line) == media


def test_em_media_with_auto_link_markup():
    body = (
        '<div id="ContentBody"><p>正文</p><p class="em_media">（文章来源：中国<span id="bk_90.BK0473">'
        '<a href="http://quote.eastmoney.com/unify/r/90.BK0473" class="keytip">证券</a></span>'
        '<span id="bkquote_90.BK0473"></span>报）</p></div>'
    )
    assert parse_article(new_template(body), SEED_URL).source == "中国证券报"


def test_header_and_list_fallbacks_for_source():
    body = '<div id="ContentBody"><p>正文</p></div>'
    assert parse_article(new_template(body, source="证券时报网"), SEED_URL).source == "证券时报网"
    bare = new_template(body).replace('<div class="item">来源：第一财经</div>', "")
    listed = ListEntry(SEED_ID, source="财联社")
    assert parse_article(bare, SEED_URL, listed).source == "财联社"
    assert parse_article(bare, SEED_URL).source == ""  # no media named: the feed decides (per-media drops it)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty_page"),
        ("<html><body><h1>东方财富网</h1></body></html>", "no_body"),
        (new_template('<div id="ContentBody"><p>正文</p></div>', title=""), "no_title"),
        (new_template('<div id="ContentBody"><p>正文</p></div>', time="刚刚"), "no_time"),
        (new_template('<div id="ContentBody"><p style="display:none">x</p><p>　　</p></div>'), "empty_body"),
    ],
)
def test_pages_that_cannot_give_an_article(html, reason):
    with pytest.raises(ParseError) as error:
        parse_article(html, SEED_URL)
    assert error.value.reason == reason


def test_url_without_id_is_an_error():
    with pytest.raises(ParseError) as error:
        parse_article("<html></html>", "https://finance.eastmoney.com/a/cgnjj.html")
    assert error.value.reason == "no_id"


def test_bare_text_lists_and_nested_divs_become_blocks():
    body = (
        '<div id="ContentBody">　　第一段<strong>加粗</strong>文字<br>第二段'
        "<div><p>嵌套段落</p><h3>小标题</h3></div><ul><li>要点</li></ul>"
        '<p><a href="/a/202001011234567890.html" onclick="x()">相关阅读</a><script>alert(1)</script></p></div>'
    )
    assert parse_article(new_template(body), SEED_URL).paragraphs == [
        "<p>第一段<strong>加粗</strong>文字</p>",
        "<p>第二段</p>",
        "<p>嵌套段落</p>",
        "<p>小标题</p>",
        "<ul><li>要点</li></ul>",
        '<p><a href="https://finance.eastmoney.com/a/202001011234567890.html">相关阅读</a></p>',
    ]


def test_page_text_holding_the_block_separator():
    """Blocks are sanitized in one call, split on a private-use character; a page may contain it too."""
    body = '<div id="ContentBody"><p>第一段\ue000还是第一段</p><p>第二段</p></div>'
    assert parse_article(new_template(body), SEED_URL).paragraphs == ["<p>第一段\ue000还是第一段</p>", "<p>第二段</p>"]


def adversarial_page(body: str) -> str:
    return (
        '<html><head><meta charset="utf-8"></head><body><div class="newsContent"><h1>标题</h1>'
        '<div class="time-source"><div class="time">2021年12月31日 06:49</div></div>'
        f'<div id="ContentBody" class="Body">{body}<p class="em_media">（文章来源：中国证券报）</p></div></div></body></html>'
    )


SIZE = 400_000  # characters of each adversarial body: quadratic paths took minutes at this size


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("body", "paragraphs"),
    [
        ("<p>正文" + " " * SIZE + "x </p>", 1),  # a run of blanks not at the end (the old trailing-blank regex)
        ("<p>" + "<br>" * (SIZE // 8) + "正文 </p>", 1),  # 50,000 tags: within the budget
        ("<p>正文" + "&nbsp;" * (SIZE // 6) + "</p>", 1),  # the sanitizer escapes one long text
        ("<p>x" + "&amp; " * (SIZE // 6) + "</p>", 1),
        ("<i>a</i>b" * 10_000, 1),  # inline runs at the top level (len() of an element)
        ("<p>正文</p>" + "<script></script>t" * 20_000, 2),  # many dropped siblings (drop_tree)
    ],
    ids=["blanks", "br", "nbsp", "escapes", "inline-runs", "dropped-siblings"],
)
def test_adversarial_bodies_parse_in_linear_time_and_keep_their_text(body, paragraphs):
    article = parse_article(adversarial_page(body), SEED_URL)
    assert len(article.paragraphs) == paragraphs and article.source == "中国证券报"


def test_a_page_over_the_tag_budget_is_dropped_with_its_own_reason():
    from crawler.parsers import ParseError
    from crawler.parsers.article import MAX_TAGS

    with pytest.raises(ParseError) as error:
        parse_article(adversarial_page("<p>段落</p>" * (MAX_TAGS // 2 + 1)), SEED_URL)
    assert error.value.reason == "too_many_elements"


@pytest.mark.parametrize(
    "url", ["java\x0cscript:alert(1)", "http://a.com/\x01b", "https://a.com/\x7f", "ja\x1bvascript:x"]
)
def test_a_link_or_image_whose_url_holds_a_control_character_keeps_only_its_text(url):
    body = f'<div id="ContentBody"><p>前<a href="{url}">链接</a>后<img src="{url}"></p></div>'
    assert parse_article(new_template(body), SEED_URL).paragraphs == ["<p>前链接后</p>"]
