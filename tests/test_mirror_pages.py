"""Every article page of the fixture mirror parses to its ground truth (fixtures/site/manifest.json).

The mirror's generator records what it put into each page (title, time, media name, kept text,
images, tables, the securities its markup tags), so these expectations do not come from the parser
under test.
"""

import html
import json
import re
from datetime import datetime

import pytest

from crawler.archive.slugs import category_slug
from crawler.items import SHANGHAI
from crawler.parsers import parse_article
from fixtures.testing import FIXTURE_SITE

MANIFEST = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("truth", MANIFEST["articles"], ids=lambda a: f"{a['template']}-{a['id']}")
def test_page_gives_its_article(truth):
    page = (FIXTURE_SITE / "finance.eastmoney.com" / "a" / f"{truth['id']}.html").read_text(encoding="utf-8")
    article = parse_article(page, f"http://127.0.0.1:8000/finance.eastmoney.com/a/{truth['id']}.html")
    assert article.info_code == "NW" + truth["id"]
    assert article.url == f"https://finance.eastmoney.com/a/{truth['id']}.html"
    assert article.title == truth["title"]
    assert article.published_at == datetime.strptime(truth["page_time"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    assert article.source == truth["source"]
    assert category_slug(article.source) == truth["slug"]
    body = "".join(article.paragraphs)
    assert re.sub(r"\s", "", html.unescape(re.sub(r"<[^>]+>", "", body))) == truth["text"]
    assert re.findall(r'<img src="([^"]+)"', body) == truth["images"]
    assert body.count("<table>") == truth["tables"]
    assert not re.search(r"\b(?:style|class|id|on\w+)=", body)
    assert (article.stocks, article.boards) == (truth["stocks"], truth["boards"])  # what East Money tagged


def test_mirror_covers_both_templates_and_many_sources():
    articles = MANIFEST["articles"]
    assert len(articles) >= 40
    assert {a["template"] for a in articles} == {"old", "new"}
    assert len({a["source"] for a in articles}) >= 12
