"""Serve a saved copy of East Money (fixtures/site/) on loopback, for the demo and the tests.

The folder mirrors the live paths by host (finance.eastmoney.com/a/<id>.html,
np-listapi.eastmoney.com/...); `mirror_settings` points the three FINEWS_*_URL
templates at it and relaxes politeness, which only matters for the live site.
"""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURE_SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".html": "text/html; charset=utf-8",
                      ".json": "application/json; charset=utf-8"}  # fmt: skip

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def log_request(self, code="-", size="-"):
        self.server.requested.append(self.path)


def serve(root: Path = FIXTURE_SITE, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start serving `root` in a daemon thread; returns the server and its base URL.

    `server.requested` lists the path of every request served, in order.
    """
    server = ThreadingHTTPServer((host, port), partial(_QuietHandler, directory=str(root)))
    server.requested = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def mirror_settings(base_url: str) -> dict:
    """Settings that make the `eastmoney` spider crawl the mirror at `base_url`, quickly."""
    return {
        "FINEWS_LIST_API_URL": base_url + "/np-listapi.eastmoney.com/comm/web/getNewsByColumns/{column}/{page}.json"
        "?page_size={page_size}&req_trace={req_trace}",
        "FINEWS_LIST_PAGE_URL": base_url + "/finance.eastmoney.com/a/{slug}.html",
        "FINEWS_ARTICLE_URL": base_url + "/finance.eastmoney.com/a/{id}.html",
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "ROBOTSTXT_OBEY": False,
    }
