"""The securities East Money tagged an article with: an item's `stocks` and `boards`.

On real East Money markup (a 2026 fragment and the archive's posts, the expectations checked by hand
against their markup), on small pages with every markup form, mixed and repeated, on links that are
not the article's (junk, the source line, the right column, the comment bar, after the end), on
malformed codes, and on the 7x24 feed's stockList. The body text stays what it was without them.
"""

import json
import re
import time

import pytest

from crawler import settings
from crawler.archive.render import render_fast_post, render_post
from crawler.archive.slugs import category_slug
from crawler.items import FastNews
from crawler.parsers import parse_article, parse_fast_list
from crawler.parsers.securities import MAX_SECURITIES, listed_secids, parse_secid, tagged
from tests.conftest import FIXTURES, REFERENCE, make_article, validated
from tests.test_article_parser import SEED_URL, adversarial_page, fragment, new_template


def named(securities: list[dict]) -> list[str]:
    """["1.600030 中信证券", "0.002752 ", …]: a list as short as the markup it is checked against."""
    for security in securities:
        assert list(security) == ["secid", "code", "name"] and security["secid"].endswith("." + security["code"])
    return [f"{s['secid']} {s['name']}" for s in securities]


def parsed(body: str):
    return parse_article(new_template(f'<div id="ContentBody">{body}</div>'), SEED_URL)


def keytip(secid: str, name: str) -> str:
    """East Money's first mention of a stock (or board): a keytip link in its span, then the quote span."""
    market, code = secid.split(".")
    kind = "bk" if market == "90" else "stock"
    return (
        f'<span id="{kind}_{secid}"><a target="_blank" href="http://quote.eastmoney.com/unify/r/{secid}" '
        f'class="keytip" data-code="{market},{code}">{name}</a></span><span id="{kind}quote_{secid}"></span>'
    )


def common(secid: str, name: str) -> str:
    """A later mention: an em_stock_key_common span."""
    market, code = secid.split(".")
    return (
        f'<span web="1" target="_blank" href="http://quote.eastmoney.com/unify/r/{secid}" '
        f'class="em_stock_key_common" data-code="{market},{code}">{name}</span>'
    )


def chart(secid: str, data_code: bool = True) -> str:
    """A quote chart, as East Money puts one at the top of a company's news (junk: its image goes)."""
    market, code = secid.split(".")
    codes = f'data-code="{code}|{market}|2" data-code2="{code}|{market}|6|" ' if data_code else ""
    return (
        f'<!-- EM_StockImg_Start --><p style="text-align:center;"><a href="http://quote.eastmoney.com/unify/r/{secid}" '
        f'{codes}class="EmImageRemark" target="_blank"><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx'
        f'?nid={secid}&imageType=k" border="0" alt="K图 {code}_0" /></a></p><!-- EM_StockImg_End -->'
    )


# --- real markup ----------------------------------------------------------------------------------

BROKERS_STOCKS = [  # frag_contentbody_txtinfos_2026-01.html: keytips, then em_stock_key_common repeats
    "1.600030 中信证券", "0.300024 机器人", "1.601059 信达证券", "1.601788 光大证券", "0.002670 国盛证券",
    "1.601881 中国银河",
]  # fmt: skip
BROKERS_BOARDS = [
    "90.BK1036 半导体", "90.BK0963 商业航天", "90.BK0739 工程机械", "90.BK0493 新能源", "90.BK0474 保险",
    "90.BK0478 有色金属", "90.BK0490 军工", "90.BK0989 储能", "90.BK1137 存储芯片", "90.BK1104 信创",
    "90.BK1037 消费电子", "90.BK0473 证券",  # 中国银河证券 is linked as 中国银河 + the board 证券
]  # fmt: skip


def test_a_real_2026_article_gives_its_stocks_and_boards_in_order_once_each():
    article = parse_article(new_template(fragment("frag_contentbody_txtinfos_2026-01.html")), SEED_URL)
    assert named(article.stocks) == BROKERS_STOCKS
    assert named(article.boards) == BROKERS_BOARDS
    assert article.paragraphs[1] == "<p><strong>①中信证券：开年后市场震荡向上的概率更高</strong></p>"


def test_east_moneys_own_misfire_is_kept_as_east_money_tagged_it():
    """太平洋 (the ocean) is linked to 601099 by East Money's auto-linker: its tag, not a guess of ours."""
    article = parsed(fragment("frag_contentbody_inner_2025-06.html"))
    assert named(article.stocks) == ["1.601099 太平洋"] and article.boards == []


REFERENCE_POSTS = {  # the archive's real bodies: what their markup tags (charts first, names from links)
    "2021-12-31-NW202112312231871790.md": ([], []),
    "2022-01-21-NW202201212257099936.md": (["0.002752 "], []),  # a chart; the text's 昇兴股份(002752) is plain
    "2022-02-09-NW202202092271136373.md": (["0.002572 "], []),
    "2022-04-21-NW202204212352188819.md": ([], []),
    "2022-04-21-NW202204212352230938.md": ([], []),
    "2022-05-25-NW202205252390829633.md": (["1.600519 "], []),
    "2022-05-26-NW202205262391921712.md": (["106.NIO "], []),
    "2022-05-29-NW202205292395438077.md": ([], []),
    "emnews/2022-05-30-202205302396671645.md": (  # Hong Kong (Info.116.…), US; 证券 of its source line left out
        ["116.00700 腾讯控股", "0.000333 美的集团", "106.BABA 阿里巴巴", "0.300750 宁德时代", "1.600519 贵州茅台",
         "116.02318 中国平安", "105.PDD 拼多多"],
        [],
    ),
    "emnews/empty-feed-item--202205262391921712.md": (  # the NIO chart first, named by the later keytip
        ["106.NIO 蔚来", "1.600160 巨化股份", "0.300343 联创股份", "1.600636 国新文化"],
        ["90.BK0493 新能源", "90.BK0839 知识产权"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFERENCE_POSTS))
def test_archive_bodies_give_what_their_markup_tags(name):
    post = (REFERENCE / "posts" / name).read_text(encoding="utf-8")
    body = post.split("---\n", 2)[2].split("\n\n<http")[0]
    if body.startswith("> "):  # an emnews post's summary line
        body = body.split("\n\n", 1)[1]
    article = parsed(body)
    assert (named(article.stocks), named(article.boards)) == REFERENCE_POSTS[name]


def test_every_real_body_of_the_fixtures_is_covered():
    assert {p.relative_to(REFERENCE / "posts").as_posix() for p in (REFERENCE / "posts").rglob("*.md")} == set(
        REFERENCE_POSTS
    )


# --- every markup form ----------------------------------------------------------------------------


def test_every_markup_form_mixed_and_repeated_and_the_text_as_before():
    body = (
        f"<p>　　{keytip('1.600030', '中信证券')}认为，{keytip('90.BK1036', '半导体')}与"
        f"{keytip('0.300750', '宁德时代')}领涨。</p>"
        f"<p>　　{common('1.600030', '中信证券')}还说，{common('90.BK1036', '半导体')}"
        f'<span web="1" href="http://quote.eastmoney.com/unify/r/0.000001" class="em_stock_key_common" '
        'data-code="0,000001"> 平安\n银行 </span>。</p>'
        '<p>旧式链接：<a href="http://quote.eastmoney.com/r/0.002353">杰瑞股份</a>、'
        '<a href="https://quote.eastmoney.com/sz000002.html">万科A</a>、'
        '<a href="//quote.eastmoney.com/sh600519.html?from=classic#chart">贵州茅台</a>、'
        '<a href="http://quote.eastmoney.com/bj830799.html">艾融软件</a>、'
        '<a href="http://quote.eastmoney.com/hk/00700.html">腾讯控股</a>。</p>'
        f'<p><span id="Info.116.09988"><a href="http://quote.eastmoney.com/unify/r/116.09988" class="keytip" '
        f'data-code="116,09988">阿里巴巴-W</a></span>、{keytip("105.AAPL", "苹果")}、{keytip("106.BRK_B", "伯克希尔")}、'
        f"{keytip('0.920118', '北交所新代码')}、{keytip('0.430047', '北交所老代码')}、"
        f"<strong>{keytip('90.BK0477', '酿酒行业')}</strong></p>"
        f"<table><tr><td>{keytip('1.601318', '中国平安')}</td><td>{common('0.300750', '宁德时代')}</td></tr></table>"
        f"<ul><li>{common('1.601318', '中国平安')}</li></ul>"
        f"顶层文字{keytip('0.000858', '五粮液')}<br>"
    )
    article = parsed(body)
    assert named(article.stocks) == [
        "1.600030 中信证券", "0.300750 宁德时代", "0.000001 平安 银行", "0.002353 杰瑞股份", "0.000002 万科A",
        "1.600519 贵州茅台", "0.830799 艾融软件", "116.00700 腾讯控股", "116.09988 阿里巴巴-W", "105.AAPL 苹果",
        "106.BRK_B 伯克希尔", "0.920118 北交所新代码", "0.430047 北交所老代码", "1.601318 中国平安", "0.000858 五粮液",
    ]  # fmt: skip
    assert named(article.boards) == ["90.BK1036 半导体", "90.BK0477 酿酒行业"]  # boards never among the stocks
    assert article.paragraphs == [
        "<p>中信证券认为，半导体与宁德时代领涨。</p>",
        "<p>中信证券还说，半导体 平安\n银行 。</p>",
        "<p>旧式链接：杰瑞股份、万科A、贵州茅台、艾融软件、腾讯控股。</p>",
        "<p>阿里巴巴-W、苹果、伯克希尔、北交所新代码、北交所老代码、<strong>酿酒行业</strong></p>",
        "<table><tbody><tr><td>中国平安</td><td>宁德时代</td></tr></tbody></table>",
        "<ul><li>中国平安</li></ul>",
        "<p>顶层文字五粮液</p>",
    ]


def test_a_stock_first_seen_in_a_chart_is_named_by_a_later_link():
    body = chart("0.002752") + f"<p>　　{keytip('0.002752', '昇兴股份')}公告……</p>" + chart("106.NIO", data_code=False)
    article = parsed(body)
    assert named(article.stocks) == ["0.002752 昇兴股份", "106.NIO "]  # a chart by its link alone names no one
    assert article.paragraphs == ["<p>昇兴股份公告……</p>"]  # the chart itself stays out


def test_names_are_the_link_text_on_one_line():
    body = (
        '<p><a class="keytip" data-code="1,600030" href="http://quote.eastmoney.com/unify/r/1.600030">'
        " <b>中信</b>\u3000证券 </a>"
        f'<a class="keytip" data-code="0,000001" href="http://quote.eastmoney.com/unify/r/0.000001">{"长" * 65}</a>'
        '<a href="http://quote.eastmoney.com/sh600519.html"><img src="https://np-newspic.dfcfw.com/a.jpg"></a></p>'
    )
    assert named(parsed(body).stocks) == ["1.600030 中信 证券", "0.000001 ", "1.600519 "]  # too long, no text: ""


@pytest.mark.parametrize(
    "markup",
    [
        '<a class="keytip" data-code="1,60003">中信证券</a>',  # an A-share code of 5 digits
        '<a class="keytip" data-code="1,60003A">中信证券</a>',  # a letter in an A-share code
        '<a class="keytip" data-code="0,8307990">北交所</a>',
        '<a class="keytip" data-code="2,600030">中信证券</a>',  # no such market
        '<a class="keytip" data-code="01,600030">中信证券</a>',
        '<a class="keytip" data-code="116,700">腾讯控股</a>',  # Hong Kong codes have 5 digits
        '<a class="keytip" data-code="105,aapl">苹果</a>',  # East Money writes tickers in capitals
        '<a class="keytip" data-code="105,AAPL-B">苹果</a>',
        '<a class="keytip" data-code="90,BK103">板块</a>',
        '<a class="keytip" data-code="90,600030">板块</a>',
        '<a class="keytip" data-code="1.600030">中信证券</a>',  # the wrong separator
        '<a class="keytip" data-code="1,600030,1">中信证券</a>',
        '<a class="keytip" data-code="1,">中信证券</a>',
        '<a class="keytip" data-code="0,' + "1" * 5000 + '">长</a>',  # absurdly long
        '<a class="keytip" data-code="1,600030" href="http://quote.eastmoney.com/unify/r/0.600030">中信证券</a>',
        '<a class="keytip" data-code="1,600030" href="http://quote.eastmoney.com/sh600031.html">中信证券</a>',
        '<a class="keytip" data-code="1,600030" href="http://quote.eastmoney.com/unify/r/1.60003">中信证券</a>',
        '<span class="em_stock_key_common" data-code="1,6000300">中信证券</span>',
        '<a href="http://quote.eastmoney.com/unify/r/1.6000300">中信证券</a>',  # from the link alone
        '<a href="http://quote.eastmoney.com/unify/r/133.USDCNH">离岸人民币</a>',  # a market not known
        '<a href="http://quote.eastmoney.com/unify/r/1.">中信证券</a>',
        '<a href="http://quote.eastmoney.com/sh60003.html">中信证券</a>',
        '<a href="http://quote.eastmoney.com/sz00000a.html">平安银行</a>',
        '<a href="http://quote.eastmoney.com/hk/700.html">腾讯控股</a>',
        '<a href="http://quote.eastmoney.com/us/AAPL.html">苹果</a>',  # 105, 106 or 107: not said
        '<a href="http://quote.eastmoney.com/zs000001.html">上证指数</a>',  # 1 or 0: not said
        '<a href="http://quote.eastmoney.com/center/gridlist.html">行情中心</a>',
        '<a href="http://quote.eastmoney.com/unify/r/' + "1" * 3000 + '">长</a>',
        '<a href="https://example.com/unify/r/1.600030">中信证券</a>',
        '<a data-code="1,600030" href="https://example.com/">中信证券</a>',  # a data-code off East Money's links
        '<span data-code="1,600030">中信证券</span>',
        '<a href="http://quote.eastmoney.com/unify/r/0.002752" data-code="002752|9|2" class="EmImageRemark">图</a>',
        '<a href="http://quote.eastmoney.com/unify/r/1.002752" data-code="002752|0|2" class="EmImageRemark">图</a>',
        '<a data-code="002752|0" class="EmImageRemark">图</a>',
        '<span web="1" href="http://baike.eastmoney.com/item/区块链" class="em_stock_key_common">区块链</span>',
        '<span id="Info.3293"><a href="http://data.eastmoney.com/zlsj/" class="infokey">基金</a></span>',
        "贵州茅台(600519)、SH600519、1.600519",  # plain text is never a tag
    ],
)
def test_malformed_or_unknown_codes_tag_nothing(markup):
    article = parsed(f"<p>前{markup}后</p>")
    assert article.stocks == [] and article.boards == []
    assert len(article.paragraphs) == 1 and article.paragraphs[0].startswith("<p>前")


# --- what is not the article's --------------------------------------------------------------------


def test_links_outside_the_article_body_are_not_its():
    body = (
        '<div id="ContentBody"><p>在东方财富看资讯行情，选东方财富证券一站式开户交易&gt;&gt;</p>'
        f'<p style="display:none;height:1px;overflow:hidden;">{keytip("1.600000", "浦发银行")}</p>'
        f"<p>　　{keytip('1.600030', '中信证券')}表示……</p>"
        f'<div class="ad_context3">{keytip("0.300059", "东方财富")}</div>'
        f"<p>主力资金加仓名单实时更新，{keytip('0.000001', '平安银行')}&gt;&gt;</p>"
        f'<div style="display:none">{chart("1.600519")}</div>'
        '<p><a href="http://quote.eastmoney.com/unify/r/0.300059" data-code="300059|0|2" class="EmImageRemark" '
        'style="display:none"><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=0.300059"></a></p>'
        f"<script>var s = '{keytip('0.000002', '万科A')}';</script>"
        f'<p class="em_media">（文章来源：中国{keytip("90.BK0473", "证券")}报）</p>'
        f"<p>（责任编辑：DF1）{keytip('1.601318', '中国平安')}</p><p>{keytip('1.601398', '工商银行')}</p></div>"
    )
    page = new_template(body).replace(
        '推荐阅读 <a href="/a/1.html">x</a>', f"推荐阅读 {keytip('1.601988', '中国银行')}{common('1.600030', '中信')}"
    )
    article = parse_article(page, SEED_URL)
    assert named(article.stocks) == ["1.600030 中信证券"] and article.boards == []
    assert article.source == "中国证券报"


def test_the_old_templates_abstract_editor_line_and_comment_bar_are_not_the_article():
    page = (
        '<html><head><meta charset="utf-8"></head><body><div class="newsContent"><h1>标题</h1>'
        '<div class="time-source"><div class="time">2021年12月31日 06:49</div></div>'
        f'<div id="ContentBody" class="Body"><div class="b-review">摘要 {keytip("1.600000", "浦发银行")}</div>'
        f"<!--文章主体--><p>　　{keytip('0.000001', '平安银行')}公告</p>"
        '<p class="em_media">（文章来源：中国证券报）</p><!--原文标题-->'
        f'<p class="res-edit">(责任编辑：DF1 {keytip("1.601318", "中国平安")})</p><!--责任编辑--></div>'
        f'<div class="BodyEnd" id="comBodyEnd">已有3人评论 {keytip("1.601988", "中国银行")}</div></div>'
        f'<div class="right">{keytip("0.300059", "东方财富")}</div></body></html>'
    )
    article = parse_article(page, SEED_URL)
    assert named(article.stocks) == ["0.000001 平安银行"] and article.paragraphs == ["<p>平安银行公告</p>"]


def test_an_article_lists_at_most_max_securities_of_each():
    stocks = "".join(keytip(f"0.{n:06d}", f"股{n}") for n in range(MAX_SECURITIES + 50))
    boards = "".join(keytip(f"90.BK{n:04d}", f"板{n}") for n in range(MAX_SECURITIES + 50))
    article = parsed(f"<p>{stocks}{boards}</p>")
    assert len(article.stocks) == len(article.boards) == MAX_SECURITIES
    assert article.stocks[-1]["secid"] == f"0.{MAX_SECURITIES - 1:06d}"


@pytest.mark.timeout(60)
def test_a_body_of_links_parses_in_linear_time():
    links = "".join(keytip(f"0.{n:06d}", f"股{n}") for n in range(15_000))  # 90,000 "<": within the tag budget
    started = time.perf_counter()
    article = parse_article(adversarial_page(f"<p>{links}</p>"), SEED_URL)
    assert len(article.stocks) == MAX_SECURITIES and time.perf_counter() - started < 30


# --- the rules, alone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secid"),
    [
        ("1.600030", "1.600030"), ("0.002353", "0.002353"), ("0.830799", "0.830799"), ("116.00700", "116.00700"),
        ("105.AAPL", "105.AAPL"), ("106.BRK_B", "106.BRK_B"), ("107.SPY", "107.SPY"), ("90.BK1036", "90.BK1036"),
        ("1.60003", None), ("1.600030 ", None), (" 1.600030", None), ("1600030", None), ("3.600030", None),
        ("116.0700", None), ("105.aapl", None), ("105.", None), ("90.bk1036", None), ("1.６０００３０", None),
        ("1." + "6" * 100, None), ("", None), (None, None), (600030, None), (["1.600030"], None),
    ],
)  # fmt: skip
def test_secids_are_checked_strictly(text, secid):
    assert parse_secid(text) == secid


def test_tagged_keeps_the_first_mention_and_the_first_name():
    stocks, boards = tagged([("0.002752", ""), ("90.BK1036", "半导体"), ("0.002752", "昇兴股份"),
                             ("0.002752", "别名"), ("1.600030", ""), ("90.BK1036", "")])  # fmt: skip
    assert named(stocks) == ["0.002752 昇兴股份", "1.600030 "] and named(boards) == ["90.BK1036 半导体"]


# --- the 7x24 feed's stockList -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stock_list", "secids"),
    [
        (["1.600519", "0.000001", "116.00700"], ("1.600519", "0.000001", "116.00700")),
        (["90.BK0473", "1.600519", "90.BK0473", "1.600519"], ("90.BK0473", "1.600519")),  # once each, in order
        (["1.60051", 600519, None, {"secid": "1.600519"}, ["1.600519"], "sh600519", "0.000001"], ("0.000001",)),
        ("1.600519", ()),  # not a list
        ({"1.600519": 1}, ()),
        (None, ()),
        (600519, ()),
        ([], ()),
    ],
)
def test_stock_list_values_are_checked(stock_list, secids):
    assert listed_secids(stock_list) == secids
    answer = {"code": 1, "data": {"fastNewsList": [
        {"code": "202205302396671645", "title": "标题", "showTime": "2022-05-30 22:00:29", "stockList": stock_list}
    ]}}  # fmt: skip
    assert parse_fast_list(json.dumps(answer)).entries[0].secids == secids


@pytest.mark.timeout(30)
def test_a_huge_stock_list_is_cut_short():
    huge = [f"0.{n:06d}" for n in range(200_000)] + ["1.600519"]
    secids = listed_secids(huge)
    assert len(secids) == 2 * MAX_SECURITIES and "1.600519" not in secids
    assert listed_secids(["x" * 10**6] * 1000) == ()


def test_the_list_entry_s_secids_follow_the_body_s_on_the_article():
    from crawler.items import ListEntry

    page = new_template(f'<div id="ContentBody">{chart("1.600519")}<p>{keytip("0.000001", "平安银行")}</p></div>')
    entry = ListEntry("202112312231871790", secids=("0.000001", "90.BK0473", "1.600519", "116.00700"))
    article = parse_article(page, SEED_URL, entry)
    assert named(article.stocks) == ["1.600519 ", "0.000001 平安银行", "116.00700 "]
    assert named(article.boards) == ["90.BK0473 "]


# --- what the item feed carries, and what the posts do not -------------------------------------------


def test_stocks_and_boards_change_no_post():
    stocks, boards = tagged([("1.600030", "中信证券"), ("90.BK1036", "半导体")])
    plain, tagged_article = make_article(), make_article(stocks=stocks, boards=boards)
    render = [category_slug(plain.source), settings.FINEWS_SHARE_URL, settings.FINEWS_SITE_URL]
    assert render_post(tagged_article, *render) == render_post(plain, *render)
    news = FastNews("202205302396671645", "https://finance.eastmoney.com/a/202205302396671645.html", "标题",
                    plain.published_at, "摘要", ["<p>正文</p>"])  # fmt: skip
    tagged_news = FastNews(**{**vars(news), "stocks": stocks, "boards": boards})
    assert render_fast_post(tagged_news, "//x") == render_fast_post(news, "//x")


def test_names_pass_the_character_gate_with_the_other_texts(crawler):
    stocks, boards = tagged([("1.600030", "中信\u200b证券\u202e"), ("90.BK1036", "半\u3000导体")])
    item = validated(crawler, make_article(stocks=stocks, boards=boards))
    assert named(item.stocks) == ["1.600030 中信证券"] and named(item.boards) == ["90.BK1036 半 导体"]


def test_the_mirror_tags_stocks_boards_and_every_market():
    """The bundled mirror (fixtures/build_mirror.py) carries markup of every market and 7x24 stockLists."""
    manifest = json.loads((FIXTURES / "site" / "manifest.json").read_text(encoding="utf-8"))
    secids = {s["secid"] for a in manifest["articles"] for s in a["stocks"] + a["boards"]}
    assert {re.sub(r"\..*", "", s) for s in secids} >= {"0", "1", "90", "105", "106", "116"}
    assert any(not s["name"] for a in manifest["articles"] for s in a["stocks"])  # charts
    fast = [item for item in manifest["fast"] if item["stocks"] or item["boards"]]
    assert len(fast) > 10 and any(not item["has_article"] for item in fast)
