"""List parsers: the getNewsByColumns JSON API and server-rendered HTML list pages."""

import json
from datetime import datetime

import pytest

from crawler.items import SHANGHAI
from crawler.parsers import ParseError, parse_list_api, parse_list_html
from tests.conftest import REFERENCE

API_ANSWER = {
    "req_trace": "1",
    "code": 1,
    "message": "success",
    "data": {
        "page_index": 1,
        "page_size": 20,
        "totle_hits": 2440,
        "list": [
            {
                "code": "202609283884561151",
                "np_dst": "CMS",
                "showTime": "2026-09-28 06:49:08",
                "title": " 标题一 ",
                "mediaName": "央视新闻客户端",
                "summary": "摘要",
                "url": "http://finance.eastmoney.com/news/1351,202609283884561151.html",
                "uniqueUrl": "http://finance.eastmoney.com/a/202609283884561151.html",
            },
            {
                "code": "202609283884561152",
                "np_dst": "CFH",
                "url": "http://caifuhao.eastmoney.com/news/x",
                "uniqueUrl": "",
            },
            {"code": "", "uniqueUrl": "https://finance.eastmoney.com/a/20170701752100652.html", "showTime": ""},
            {"code": "../../etc/passwd", "url": "", "uniqueUrl": ""},
            {"code": "202609283884561151", "np_dst": "CMS"},
            "garbage",
        ],
    },
}


def test_api_entries():
    page = parse_list_api(json.dumps(API_ANSWER, ensure_ascii=False).encode())
    assert [e.article_id for e in page.entries] == ["202609283884561151", "20170701752100652"]
    first = page.entries[0]
    assert first.info_code == "NW202609283884561151"
    assert (first.title, first.source) == ("标题一", "央视新闻客户端")
    assert first.published_at == datetime(2026, 9, 28, 6, 49, 8, tzinfo=SHANGHAI)
    assert page.entries[1].published_at is None
    assert sorted(page.rejected) == ["bad_entry", "bad_id", "duplicate", "not_cms"]
    assert (page.total, page.page_size) == (2440, 20)


def test_api_jsonp():
    page = parse_list_api("jQuery1234_5(" + json.dumps(API_ANSWER) + ");")
    assert len(page.entries) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"code":0,"message":"Required String parameter \'req_trace\' is not present"}', "api_error"),
        ("<html>not json</html>", "bad_json"),
        ("[1, 2]", "bad_json"),
        ("", "bad_json"),
    ],
)
def test_api_errors(text, reason):
    with pytest.raises(ParseError) as error:
        parse_list_api(text)
    assert error.value.reason == reason


def test_api_empty_list_is_a_page_without_entries():
    page = parse_list_api('{"code":1,"data":{"list":[],"totle_hits":0}}')
    assert page.entries == [] and page.total == 0


LIST_PAGE = """<html><body><div class="repeatList"><ul id="newsListContent">
<li id="newsTr0"><div class="image"><a href="http://finance.eastmoney.com/a/202511251234567890.html"><img src="x.jpg"></a></div>
 <div class="text"><p class="title"><a href="http://finance.eastmoney.com/a/202511251234567890.html" target="_blank">
   新闻一 </a></p><p class="info" title="完整摘要">截断…</p><p class="time">2025年11月25日 09:30</p></div></li>
<li id="newsTr1"><div class="text text-no-img"><p class="title"><a href="//stock.eastmoney.com/a/202511241234567891.html">新闻二</a></p>
 <p class="time">2025年11月24日 21:05</p></div></li>
<li id="newsTr2"><div class="text text-no-img"><p class="title"><a href="/a/cgnjj.html">不是文章</a></p></div></li>
</ul></div>
<div class="pagerbox"><div id="pagerNoDiv" class="pager"><a href="cgnjj_1.html">1</a><a href="cgnjj_2.html" target="_self" class="page-btn">下一页</a></div></div>
</body></html>"""


def test_html_list_page():
    page = parse_list_html(LIST_PAGE, "https://finance.eastmoney.com/a/cgnjj.html")
    assert [e.article_id for e in page.entries] == ["202511251234567890", "202511241234567891"]
    assert page.entries[0].title == "新闻一"
    assert page.entries[0].summary == "完整摘要"
    assert page.entries[0].published_at == datetime(2025, 11, 25, 9, 30, tzinfo=SHANGHAI)
    assert page.rejected == ["bad_id"]
    assert page.next_url == "https://finance.eastmoney.com/a/cgnjj_2.html"


def test_real_2017_list_item_year_comes_from_the_id():
    li = (REFERENCE / "fragments" / "frag_list_li_newsTr1_2017-07.html").read_text(encoding="utf-8")
    page = parse_list_html(
        f'<ul id="newsListContent">{li}</div></li></ul>', "http://finance.eastmoney.com/news/cgsxw.html"
    )
    (entry,) = page.entries
    assert entry.article_id == "20170701752100652"
    assert entry.title == "银星能源拟购银仪风电50%股权"
    assert entry.published_at == datetime(2017, 7, 1, 3, 5, tzinfo=SHANGHAI)  # not this year's 07-01
    assert page.next_url is None


def test_client_rendered_shell_has_no_list():
    shell = (REFERENCE / "fragments" / "frag_list_czqyw_clickrank_2023-11.html").read_text(encoding="utf-8")
    with pytest.raises(ParseError) as error:
        parse_list_html(shell, "https://finance.eastmoney.com/a/czqyw.html")
    assert error.value.reason == "no_list"
