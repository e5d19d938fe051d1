"""Benchmark 9: parsing adversarial article pages, 10 KB to 5 MB: time per KB and peak memory.

Each body is one attack on a parser's quadratic paths (runs of blanks, <br> and &nbsp;, text
full of escaped characters, many top-level inline runs, many dropped siblings, deep nesting,
plain paragraphs), grown from 10 KB to 5 MB. Each page is parsed in a fresh process (peak RSS
from the OS); the time per KB must stay flat as the page grows (linear time), and a page over
the tag budget (crawler/parsers/article.py MAX_TAGS) is dropped at once as too_many_elements.
Run: python -m bench.adversarial [--sizes 10,100,400,1000,5000]
"""

import argparse
import json
import subprocess
import sys

PROBE = """
import json, resource, sys, time
from crawler.parsers import ParseError, parse_article
kind, size = sys.argv[1], int(sys.argv[2]) * 1024
bodies = {
    "blanks": lambda n: "<p>正文" + " " * n + "x </p>",
    "br": lambda n: "<p>" + "<br>" * (n // 4) + "正文 </p>",
    "nbsp": lambda n: "<p>正文" + "&nbsp;" * (n // 6) + "</p>",
    "escapes": lambda n: "<p>x" + "&amp; " * (n // 6) + "</p>",
    "inline-runs": lambda n: "<i>a</i>b" * (n // 9),
    "dropped-siblings": lambda n: "<p>正文</p>" + "<script></script>t" * (n // 18),
    "deep": lambda n: "<div><p>x</p>" * (n // 13) + "</div>" * (n // 13),
    "paragraphs": lambda n: "<p>段落</p>" * (n // 13),
}
page = ('<html><head><meta charset="utf-8"></head><body><div class="newsContent"><h1>标题</h1>'
        '<div class="time-source"><div class="time">2021年12月31日 06:49</div></div><div id="ContentBody" class="Body">'
        + bodies[kind](size) + '<p class="em_media">（文章来源：中国证券报）</p></div></div></body></html>')
url = "https://finance.eastmoney.com/a/202112312231871790.html"
parse_article(page.replace(bodies[kind](size), "<p>热身</p>"), url)  # warm up: first-call costs are not per KB
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    outcome = f"{len(parse_article(page, url).paragraphs)} blocks"
except ParseError as exc:
    outcome = exc.reason
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "kb": len(page.encode()) / 1024, "peak_mb": peak / 1024,
                  "extra_mb": (peak - before) / 1024, "outcome": outcome}))
"""
KINDS = ("blanks", "br", "nbsp", "escapes", "inline-runs", "dropped-siblings", "deep", "paragraphs")


def measure(kind: str, kb: int) -> dict:
    process = subprocess.run([sys.executable, "-c", PROBE, kind, str(kb)], capture_output=True, text=True, check=True)
    return json.loads(process.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,400,1000,5000", help="body sizes in KB")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print("adversarial article pages: parse time per KB (ms) and peak RSS (MB), one process per page")
    print(f"  {'body':18s}" + "".join(f"{f'{kb} KB':>22s}" for kb in sizes) + "   largest/smallest ms per KB")
    for kind in KINDS:
        results = [measure(kind, kb) for kb in sizes]
        cells = [f"{r['seconds'] * 1000 / r['kb']:7.3f} ms {r['peak_mb']:5.0f} MB" for r in results]
        parsed = [r for r in results if r["outcome"] != "too_many_elements"]
        ratio = (parsed[-1]["seconds"] / parsed[-1]["kb"]) / (parsed[0]["seconds"] / parsed[0]["kb"]) if parsed else 0.0
        over = [f"{kb} KB" for kb, r in zip(sizes, results, strict=True) if r["outcome"] == "too_many_elements"]
        note = f"  (over the tag budget from {over[0]}: dropped)" if over else ""
        print(f"  {kind:18s}" + "".join(f"{c:>22s}" for c in cells) + f"   {ratio:5.2f}x{note}")


if __name__ == "__main__":
    main()
