"""Only the site's layouts speak to the search index: a post body's `data-pagefind-*` attributes never reach the page."""

import subprocess

import lxml.html
import pytest

from fixtures.testing import scrapy_command
from tests.conftest import REPO, need_tool

pytestmark = pytest.mark.slow  # a real `jekyll build`

BODIES = [
    '<p data-pagefind-meta="url:javascript:alert(1)">正文一</p>',
    "<p DATA-PAGEFIND-META='title:x' data-pagefind-filter=\"kind:y\">正文二</p>",
    "<p><span data-pagefind-sort=weight:9 data-pagefind-ignore>正文三</span></p>",
    '<div data-pagefind-body data-pagefind-meta = "image:javascript:x">正文四</div>',
]


def test_body_attributes_for_the_search_index_are_removed_and_the_text_stays(tmp_path):
    need_tool("jekyll")
    root = tmp_path / "archive"
    (root / "_posts").mkdir(parents=True)
    for number, body in enumerate(BODIES):
        front = (
            f"---\nlayout: post\ntitle: 标题{number}\ndate: 2024-01-0{number + 1} 10:00:00 +0800\ncategories: zz\n---\n"
        )
        (root / "_posts" / f"2024-01-0{number + 1}-NW20240101000000000{number}.md").write_text(
            front + body + "\n<p>提到 data-pagefind-meta 的正文</p>\n", encoding="utf-8"
        )
    out = tmp_path / "site"
    command = scrapy_command(
        "archive", "build", "--no-search", "--out", str(out), settings={"FINEWS_ARCHIVE_DIR": root}
    )
    built = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    pages = sorted(out.glob("2024/01/0*/*.html"))
    assert len(pages) == len(BODIES)
    for number, page in enumerate(pages):
        body = lxml.html.fromstring(page.read_bytes()).xpath('//div[@class="post-body"]')[0]
        attributes = [name for el in body.iter() for name in el.attrib if name.lower().startswith("data-pagefind")]
        assert attributes == [], page
        assert f"正文{'一二三四'[number]}" in body.text_content()
        assert "提到 data-pagefind-meta 的正文" in body.text_content()  # text is not an attribute
        assert lxml.html.fromstring(page.read_bytes()).xpath("//article[@data-pagefind-body]")  # the layout's own
