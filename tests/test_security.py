"""Only East Money is fetched, and writes never leave the archive (a part of issue 12's attacks).

A second listener on 127.0.0.2 stands in for an internal host an attacker would point us at.
"""

import pytest

from fixtures.testing import FIXTURE_SITE, serve, synthesize
from tests.crawl import scrapy_crawl


@pytest.fixture
def internal_host():
    """A server on 127.0.0.2 that must never be asked for anything (the 'metadata service')."""
    server, base_url = serve(FIXTURE_SITE, host="127.0.0.2")
    yield server, base_url
    server.shutdown()


@pytest.mark.slow
def test_an_article_redirected_to_another_host_is_dropped_not_fetched(tmp_path, internal_host):
    other, other_url = internal_host
    root = tmp_path / "site"
    ids = synthesize(root, 4)
    target = f"{other_url}/finance.eastmoney.com/a/{ids[0]}.html"  # even the same path: another host
    server, base_url = serve(root, faults={ids[0]: [f"status:302+header:Location={target}*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350")
    finally:
        server.shutdown()
    assert other.requested == []
    assert "offsite_redirect 1" in process.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 3


@pytest.mark.slow
def test_a_meta_refresh_to_another_host_is_dropped(tmp_path, internal_host):
    other, other_url = internal_host
    root = tmp_path / "site"
    ids = synthesize(root, 2)
    page = root / f"finance.eastmoney.com/a/{ids[0]}.html"
    page.write_text(
        f'<html><head><meta http-equiv="refresh" content="0;url={other_url}/latest/meta-data/{ids[0]}.html">'
        "</head><body></body></html>"
    )
    server, base_url = serve(root)
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350")
    finally:
        server.shutdown()
    assert other.requested == [] and "offsite_redirect 1" in process.stderr


@pytest.mark.slow
def test_a_list_redirected_to_another_host_is_a_failed_list(tmp_path, internal_host):
    other, other_url = internal_host
    server, base_url = serve(faults={r"getNewsByColumns/350/": [f"status:302+header:Location={other_url}/x.json*"]})
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", "categories=350", status=4)
    finally:
        server.shutdown()
    assert other.requested == [] and "lists failed: offsite_redirect 1" in process.stderr


@pytest.mark.slow
def test_a_redirect_on_the_same_host_is_followed(tmp_path):
    root = tmp_path / "site"
    ids = synthesize(root, 2)
    moved = f"/finance.eastmoney.com/a/{ids[0]}.html?moved=1"
    server, base_url = serve(root, faults={rf"{ids[0]}\.html$": [f"status:301+header:Location={moved}", "ok*"]})
    try:
        scrapy_crawl(base_url, tmp_path / "archive", "categories=350")
    finally:
        server.shutdown()
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 2


@pytest.mark.slow
@pytest.mark.parametrize("link", ["_posts", "category", "old_post", ".finews.eastmoney.lock"])
def test_a_symlinked_archive_folder_or_lock_is_refused_before_any_request(tmp_path, link):
    archive, outside = tmp_path / "archive", tmp_path / "outside"
    archive.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("not the archive's")
    (archive / link).symlink_to(outside / "keep.txt" if link.endswith(".lock") else outside)
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, archive, "categories=cgnjj", status=6)
    finally:
        server.shutdown()
    assert server.requested == []
    assert f"{archive / link} is a symbolic link" in process.stderr
    assert [p.name for p in outside.iterdir()] == ["keep.txt"] and (
        outside / "keep.txt"
    ).read_text() == "not the archive's"


@pytest.mark.slow
def test_a_dangling_index_page_link_is_refused_before_any_request(tmp_path):
    archive = tmp_path / "archive"
    (archive / "category").mkdir(parents=True)
    (archive / "category" / "zhengquanshibaowang.html").symlink_to(tmp_path / "nowhere" / "page.html")
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, archive, "categories=cgnjj", status=6)
    finally:
        server.shutdown()
    assert server.requested == [] and "zhengquanshibaowang.html is a symbolic link" in process.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_redirect_between_http_and_https_on_the_mirror_host_is_followed():
    from crawler.downloadermiddlewares.offsite import OffsiteRedirectMiddleware, _netloc

    middleware = OffsiteRedirectMiddleware(["eastmoney.com"], {_netloc("http://mirror.example/a/{id}.html")})
    assert middleware.allowed("https://mirror.example/a/1.html")
    assert middleware.allowed("http://www.eastmoney.com/") and middleware.allowed("https://finance.eastmoney.com/")
    assert not middleware.allowed("http://mirror.example:8080/a/1.html")
    assert not middleware.allowed("https://eastmoney.com.example.org/")
