"""Where East Money puts things (docs/eastmoney.md §4-§5): every selector and marker the parsers use.

Page structure changes land here; the parsers (article.py, body.py, lists.py) hold only
the logic of reading them.
"""

import re


def has_class(name: str) -> str:
    """An XPath predicate: the element's class list holds `name` (East Money pads classes: " item")."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --- article pages (§5): new template first, then the old one, then anything that may do -------
TITLE_XPATHS = (
    f"//div[{has_class('contentbox')}]/div[{has_class('title')}]",
    f"//div[{has_class('newsContent')}]/h1",
    f"//div[{has_class('contentwrap')}]//div[{has_class('title')}]",
    "//h1",
)
TIME_XPATHS = (
    f"//div[{has_class('infos')}]/div[{has_class('item')}]",
    f"//div[{has_class('time-source')}]/div[{has_class('time')}]",
    f"//div[{has_class('time')}]",
)
HEADER_SOURCE_XPATHS = (
    f"//div[{has_class('source')}]/@data-source",
    f"//div[{has_class('infos')}]/div[{has_class('item')}][contains(., '来源')]",
    f"//div[{has_class('time-source')}]//div[{has_class('source')}]",
    f"//div[{has_class('source')}]//img/@alt",
)
BODY_XPATH = "//div[@id='ContentBody']"
# 'id="ContentBody"', then what comes after the article: old template's comment bar, new template's right column.
ARTICLE_END_MARKS = ('id="ContentBody"', 'id="comBodyEnd"', '<div class="mainright"')

# --- inside ContentBody (§5c) ------------------------------------------------------------------
MEDIA_CLASS = "em_media"  # the source line "（文章来源：X）": the article ends there
# Junk dropped with its content (its tail text stays). A cheap XPath finds the candidates in
# one walk of the body; the three patterns decide.
JUNK_CANDIDATES_XPATH = (
    ".//*[(@class and (contains(@class, 'ad') or contains(@class, 'toplink') or contains(@class, 'EmImageRemark')"
    " or contains(@class, 'b-review') or contains(@class, 'res-edit'))) or (@style and contains(@style, 'none'))"
    " or (self::a and contains(@href, 'acttg.')) or (self::img and contains(@src, '.eastmoney.com'))]"
)
JUNK_CLASS_RE = re.compile(
    r"(?:^|\s)(?:ad_\w*|adv|em_handle_adv_close|toplink|EmImageRemark|b-review|res-edit)(?:\s|$)"
)
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none", re.I)
JUNK_URL_RE = re.compile(r"webquoteklinepic\.eastmoney\.com|acttg\.eastmoney\.com", re.I)  # quote charts, ads
# Stock, board and keyword auto-links: unwrapped to their text.
AUTOLINK_XPATH = (
    f".//a[{has_class('keytip')} or {has_class('infokey')} or contains(@href, '//quote.eastmoney.com/')"
    " or contains(@href, '//data.eastmoney.com/') or contains(@href, '//baike.eastmoney.com/')]"
)
# Securities East Money tagged (§5c; crawler/parsers/securities.py) are read from the auto-links and
# from spans with a data-code or a quote page's URL (em_stock_key_common), found with them (both in
# document order); quote charts are junk, found with the junk.
SECURITY_SPANS_XPATH = ".//span[@data-code or contains(@href, '//quote.eastmoney.com/')]"
SECURITY_LINK_CLASSES = ("keytip", "em_stock_key_common")  # data-code "MARKET,CODE": "1,600030"
CHART_CLASS = "EmImageRemark"  # a quote chart's link (junk); data-code "CODE|MARKET|kind": "002752|0|2"
LINK_DATA_CODE_RE = re.compile(r"([^,]*),([^,]*)")  # whole value
CHART_DATA_CODE_RE = re.compile(r"([^|]*)\|([^|]*)\|")  # its start
# A quote page: /unify/r/1.600030 and /r/0.002353 (secid), /sh600519.html, /sz002353.html and
# /bj830799.html (an A-share code; Beijing's are market 0), /hk/00700.html (market 116).
QUOTE_URL_RE = re.compile(
    r"\s*(?:https?:)?//quote\.eastmoney\.com/"
    r"(?:(?:unify/)?r/(?P<secid>[^/?#\s]*)|(?P<exchange>sh|sz|bj)(?P<a_share>[^/?#.\s]*)\.html"
    r"|hk/(?P<hk>[^/?#.\s]*)\.html)\s*(?:[?#]|\Z)"
)
EXCHANGE_MARKETS = {"sh": "1", "sz": "0", "bj": "0"}  # the market of a /sh, /sz, /bj quote page's code
HK_MARKET = "116"  # the market of a /hk/ quote page's code
JUNK_TEXT = (
    "在东方财富看资讯行情",
    "主力资金加仓名单",
    "全新妙想投研助理",
    "扫一扫下载",
    "免责声明：本文基于AI生产",
)  # promo lines
END_TEXT = ("(责任编辑", "（责任编辑", "责任编辑：", "郑重声明", "网友评论")  # what follows is not article text

# --- HTML list pages (§4) ----------------------------------------------------------------------
LIST_XPATH = "//ul[@id='newsListContent']"
LIST_ITEMS_XPATH = LIST_XPATH + "/li"
ITEM_LINK_XPATHS = (".//p[contains(@class, 'title')]//a[@href]", ".//a[@href]")
ITEM_INFO_XPATH = ".//p[contains(@class, 'info')]"
ITEM_TIME_XPATH = ".//p[contains(@class, 'time')]//text()"
NEXT_PAGE_XPATH = "//a[normalize-space(.)='下一页']/@href"
