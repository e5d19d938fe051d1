"""The securities East Money itself tagged an article with: what its stock markup and stockList name.

Only East Money's own markup counts, never a guess from plain text (docs/eastmoney.md §5c): keytip
links and em_stock_key_common spans (data-code "1,600030"), links to a quote page
(quote.eastmoney.com/unify/r/1.600030, /r/0.002353, /sh600519.html, /sz002353.html, /bj830799.html,
/hk/00700.html) and quote-chart links (EmImageRemark, data-code "002752|0|2"), and the 7x24 feed's
stockList. A security is its secid, MARKET.CODE, checked strictly against its market's codes;
anything else is ignored. Boards (market 90) are kept apart from stocks.

Which mentions of a body count (not those in junk, the source line or after the article's end)
is the body parser's business (crawler/parsers/body.py); here: what one element names, a stockList,
and the two lists an item carries.
"""

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from crawler.parsers.selectors import (
    CHART_CLASS,
    CHART_DATA_CODE_RE,
    EXCHANGE_MARKETS,
    HK_MARKET,
    LINK_DATA_CODE_RE,
    QUOTE_URL_RE,
    SECURITY_LINK_CLASSES,
)
from crawler.parsers.text import clean_text

BOARD_MARKET = "90"
_US_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{0,7}(?:[._][A-Z0-9]{1,4})?")  # AAPL, BRK_B (East Money's BRK-B)
_MARKET_CODES = {  # market -> its codes, whole strings
    "1": re.compile(r"[0-9]{6}"),  # Shanghai
    "0": re.compile(r"[0-9]{6}"),  # Shenzhen, and Beijing (8xxxxx, 92xxxx, 4xxxxx)
    "116": re.compile(r"[0-9]{5}"),  # Hong Kong: 00700
    "105": _US_CODE_RE,  # US exchanges
    "106": _US_CODE_RE,
    "107": _US_CODE_RE,
    BOARD_MARKET: re.compile(r"BK[0-9]{4}"),  # boards (industries, concepts, regions): BK1036
}
MAX_SECURITIES = 200  # of each list of an item: a hostile page may link thousands
MAX_MENTIONS = 2_000  # mentions read in one body (repeats included); the rest are left out
MAX_NAME = 64  # characters: a longer link text names no security (the name is then "")
_MAX_LISTED = 1_000  # stockList items looked at
_INVALID = ""  # a value that should name a security and names none (None: the value is not there)
_DECIDED = {}  # (class, data-code, href) -> what _decide makes of them: articles repeat their links
_MAX_DECIDED = 4_096  # entries kept (hrefs under 256 characters only)
_UNDECIDED = object()


def secid(market: str, code: str) -> str | None:
    """ "MARKET.CODE" when `code` is one of `market`'s codes, else None (unknown market, wrong form)."""
    form = _MARKET_CODES.get(market)
    return f"{market}.{code}" if form is not None and form.fullmatch(code) else None


def parse_secid(text: object) -> str | None:
    """A secid as East Money writes one ("1.600030", "116.00700", "90.BK1036"), checked; else None."""
    if not isinstance(text, str) or len(text) > 24:
        return None
    market, dot, code = text.partition(".")
    return secid(market, code) if dot else None


def mention(element: HtmlElement) -> tuple[str, str] | None:
    """(secid, name) of one body element when it is East Money's link to a security.

    Keytips and em_stock_key_common spans give their data-code, quote charts theirs ("CODE|MARKET|…",
    no name), and any of them, or a plain link, its quote-page URL. A value that is there must name a
    valid security, and both must name the same one, or the element names none. The name is the link
    text on one line, trimmed; "" for a chart or a text longer than MAX_NAME.
    """
    markup = (element.get("class") or "", element.get("data-code"), element.get("href"))
    found = _DECIDED.get(markup, _UNDECIDED)
    if found is _UNDECIDED:
        found = _decide(*markup)
        if len(_DECIDED) < _MAX_DECIDED and len(markup[2] or "") < 256:
            _DECIDED[markup] = found
    if found is None:
        return None
    if found[1]:  # a chart
        return found[0], ""
    name = element.text if not len(element) else element.text_content()
    if not (name and name.isalnum()):  # most names are letters alone: nothing to clean
        name = clean_text(name)
    return found[0], name if len(name) <= MAX_NAME else ""


def _decide(classes: str, data_code: str | None, href: str | None) -> tuple[str, bool] | None:
    """(secid, whether it is a chart) that an element's class, data-code and href name, or None."""
    kinds = classes.split()
    chart = CHART_CLASS in kinds
    if chart:
        from_code = _code_secid(data_code, CHART_DATA_CODE_RE.match, code_first=True)
    elif any(kind in kinds for kind in SECURITY_LINK_CLASSES):
        from_code = _code_secid(data_code, LINK_DATA_CODE_RE.fullmatch)
    else:
        from_code = None  # a data-code means something only on East Money's own links
    found = {value for value in (from_code, _url_secid(href)) if value is not None}
    if len(found) != 1 or _INVALID in found:
        return None
    return found.pop(), chart


def _code_secid(value: str | None, match, code_first: bool = False) -> str | None:
    if value is None:
        return None
    parts = match(value.strip())
    if not parts:
        return _INVALID
    market, code = parts.group(2, 1) if code_first else parts.group(1, 2)
    return secid(market, code) or _INVALID


def _url_secid(href: str | None) -> str | None:
    parts = QUOTE_URL_RE.match(href) if href and len(href) < 2048 else None
    if not parts:
        return None
    if parts["secid"] is not None:
        found = parse_secid(parts["secid"])
    elif parts["exchange"] is not None:
        found = secid(EXCHANGE_MARKETS[parts["exchange"]], parts["a_share"])
    else:
        found = secid(HK_MARKET, parts["hk"])
    return found or _INVALID


def listed_secids(stock_list: object) -> tuple[str, ...]:
    """The valid secids of a 7x24 entry's stockList, in order, once each (at most two lists' worth)."""
    if not isinstance(stock_list, list):
        return ()
    found = dict.fromkeys(s for s in map(parse_secid, stock_list[:_MAX_LISTED]) if s)
    return tuple(found)[: 2 * MAX_SECURITIES]


def tagged(mentions: Iterable[tuple[str, str]]) -> tuple[list[dict], list[dict]]:
    """An item's `stocks` and `boards` from (secid, name) mentions in order.

    One entry {"secid", "code", "name"} per secid, where it is first mentioned; its name is the first
    one a mention gives (a chart's stock is named by a later link). At most MAX_SECURITIES of each.
    """
    stocks, boards, seen = [], [], {}
    for found, name in mentions:
        entry = seen.get(found)
        if entry is not None:
            if name and not entry["name"]:
                entry["name"] = name
            continue
        market, _, code = found.partition(".")
        kind = boards if market == BOARD_MARKET else stocks
        if len(kind) < MAX_SECURITIES:
            seen[found] = {"secid": found, "code": code, "name": name}
            kind.append(seen[found])
    return stocks, boards
