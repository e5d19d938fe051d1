"""Redirects and meta refreshes are followed only to allowed hosts: only East Money is fetched.

Scrapy's own OffsiteMiddleware leaves alone requests made with dont_filter (all of ours: the
spiders dedupe by post key), and so would follow a 302 or a <meta http-equiv=refresh> to any
host. Here every redirected request (Scrapy's RedirectMiddleware marks it with
meta["redirect_urls"]) must go to an allowed host: a domain of FINEWS_ALLOWED_DOMAINS (East
Money's, with their subdomains) or exactly the host and port of one of the FINEWS_*_URL
templates (so that a mirror works). Anything else is dropped as offsite_redirect.
"""

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

TEMPLATES = ("FINEWS_LIST_API_URL", "FINEWS_LIST_PAGE_URL", "FINEWS_ARTICLE_URL", "FINEWS_FAST_LIST_URL")
REASON = "offsite_redirect"


class OffsiteRedirectMiddleware:
    def __init__(self, domains: list[str], netlocs: set[str]):
        self.domains = [d.lower().lstrip(".") for d in domains if d]
        self.netlocs = netlocs

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "OffsiteRedirectMiddleware":
        settings = crawler.settings
        netlocs = {_netloc(settings.get(name) or "") for name in TEMPLATES} - {""}
        return cls(settings.getlist("FINEWS_ALLOWED_DOMAINS"), netlocs)

    def process_request(self, request: Request, spider=None) -> None:
        if request.meta.get("redirect_urls") and not self.allowed(request.url):
            raise IgnoreRequest(f"{REASON}: {request.meta['redirect_urls'][-1]} -> {request.url}")

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        if _netloc(url) in self.netlocs or _other_default_port(url) in self.netlocs:
            return True
        host = (parts.hostname or "").lower()
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)


def _other_default_port(url: str) -> str:
    """The host with the other default port (an http <-> https redirect on a template's own host)."""
    host, _, port = _netloc(url).rpartition(":")
    return f"{host}:{ {'80': '443', '443': '80'}[port] }" if port in ("80", "443") else ""


def _netloc(url: str) -> str:
    """host:port of an URL (or of an URL template), the port made explicit."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return ""
    return f"{(parts.hostname or '').lower()}:{port}" if parts.hostname else ""
