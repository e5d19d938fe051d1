"""Serve saved copies of East Money on loopback, for the demo, the tests and the benchmarks.

A mirror folder holds the live paths by host (finance.eastmoney.com/a/<id>.html,
np-listapi.eastmoney.com/comm/web/getNewsByColumns/<column>/<page>.json, ...);
`mirror_settings` points the three FINEWS_*_URL templates at a served mirror.
Faults can be injected per path (HTTP errors, resets, delays, wrong headers) and
`synthesize` writes mirrors of any size from the bundled one.
"""

import json
import re
import shutil
import socket
import struct
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURE_SITE = Path(__file__).resolve().parent.parent / "fixtures" / "site"
LIST_API_PATH = "np-listapi.eastmoney.com/comm/web/getNewsByColumns/{column}/{page}.json"
ARTICLE_PATH = "finance.eastmoney.com/a/{id}.html"
FAST_LIST_PATH = "np-weblist.eastmoney.com/comm/web/getFastNewsList/sortEnd={sort_end}.json"


class MirrorHandler(SimpleHTTPRequestHandler):
    """Static files from the first root that has the path, with the server's injected faults."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".json": "application/json; charset=utf-8"}

    def __init__(self, *args, roots, **kwargs):
        self.roots = roots
        super().__init__(*args, directory=str(roots[0]), **kwargs)

    def translate_path(self, path):
        for root in self.roots:
            self.directory = str(root)
            candidate = super().translate_path(path)
            if Path(candidate).exists():
                return candidate
        return candidate

    def do_GET(self):
        self.server.requested.append(self.path)
        self.extra_headers = {}
        actions = self.server.take_faults(self.path)
        for action in sorted(actions, key=lambda a: a.startswith(("status", "reset"))):  # those end the answer
            name, _, value = action.partition(":")
            if name == "status":
                self.send_error(int(value))
                return
            if name == "reset":  # abort the connection with a TCP RST, no HTTP answer
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            if name == "delay":
                time.sleep(float(value))
            elif name == "header":
                header, _, header_value = value.partition("=")
                self.extra_headers[header.lower()] = (header, header_value)
        super().do_GET()

    def send_header(self, keyword, value):
        _, value = getattr(self, "extra_headers", {}).pop(keyword.lower(), (keyword, value))
        super().send_header(keyword, value)

    def end_headers(self):
        for keyword, value in getattr(self, "extra_headers", {}).values():
            super().send_header(keyword, value)
        self.extra_headers = {}
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # crawls open many connections at once; the default 5 drops some under load

    def handle_error(self, request, client_address):
        pass  # clients that hang up early (resets, oversized pages cancelled) are expected here

    def __init__(self, address, roots, faults=None):
        super().__init__(address, partial(MirrorHandler, roots=[Path(r) for r in roots]))
        self.requested: list[str] = []  # the path of every request, in order
        self._faults = [(re.compile(pattern), list(actions)) for pattern, actions in (faults or {}).items()]
        self._lock = threading.Lock()

    def take_faults(self, path: str) -> list[str]:
        """The next fault for `path`: each pattern's actions are used up one request at a time.

        An action is "status:503", "reset", "delay:0.5", "header:Content-Type=image/png",
        or several joined by "+"; "ok" serves normally. The last action repeats when it ends in "*".
        """
        with self._lock:
            for pattern, actions in self._faults:
                if actions and pattern.search(path):
                    action = actions[0] if actions[0].endswith("*") else actions.pop(0)
                    return [] if action.rstrip("*") == "ok" else action.rstrip("*").split("+")
        return []


def serve(*roots: Path, host: str = "127.0.0.1", port: int = 0, faults: dict | None = None) -> tuple[MirrorServer, str]:
    """Serve the mirror folders `roots` (default: the bundled one) in a daemon thread; returns server, base URL."""
    server = MirrorServer((host, port), roots or [FIXTURE_SITE], faults)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def mirror_settings(base_url: str) -> dict:
    """Settings that make the `eastmoney` spider crawl the mirror at `base_url`, quickly."""
    return {
        "FINEWS_LIST_API_URL": f"{base_url}/{LIST_API_PATH}?page_size={{page_size}}&req_trace={{req_trace}}",
        "FINEWS_LIST_PAGE_URL": base_url + "/finance.eastmoney.com/a/{slug}.html",
        "FINEWS_ARTICLE_URL": f"{base_url}/{ARTICLE_PATH}",
        "FINEWS_FAST_LIST_URL": f"{base_url}/{FAST_LIST_PATH}?pageSize={{page_size}}&req_trace={{req_trace}}",
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "ROBOTSTXT_OBEY": False,
        "FINEWS_RETRY_BACKOFF_BASE": 0.05,
    }


def synthesize(dest: Path, articles: int, column: int | list[int] = 350, page_size: int = 100) -> list[str]:
    """Write a mirror of `articles` articles listed in API column(s), cloned from the bundled pages.

    Each clone gets a new id (same date prefix as its model, so dates stay consistent); every
    column lists all of them. Returns the ids, newest list position first.
    """
    manifest = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
    models = [a for a in manifest["articles"] if a["show_time"]]
    if dest.exists():
        shutil.rmtree(dest)
    (dest / ARTICLE_PATH).parent.mkdir(parents=True)
    entries = []
    for number in range(articles):
        model = models[number % len(models)]
        new_id = model["id"][:8] + f"{number:010d}"[-(len(model["id"]) - 8):]
        page = (FIXTURE_SITE / ARTICLE_PATH.format(id=model["id"])).read_text(encoding="utf-8")
        (dest / ARTICLE_PATH.format(id=new_id)).write_text(page.replace(model["id"], new_id), encoding="utf-8")
        entries.append({"code": new_id, "np_dst": "CMS", "showTime": model["show_time"], "title": model["title"],
                        "mediaName": model["source"], "uniqueUrl": f"http://finance.eastmoney.com/a/{new_id}.html"})  # fmt: skip
    pages = [entries[i : i + page_size] for i in range(0, len(entries), page_size)]
    for listed in [column] if isinstance(column, int) else column:
        for index, page_entries in enumerate(pages, start=1):
            answer = {"code": 1, "message": "success",
                      "data": {"page_index": index, "page_size": page_size, "totle_hits": len(entries), "list": page_entries}}  # fmt: skip
            path = dest / LIST_API_PATH.format(column=listed, page=index)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    return [entry["code"] for entry in entries]
