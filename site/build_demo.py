"""Build the demo site offline: crawl the bundled mirror into TARGET, then `scrapy archive build` it.

    python site/build_demo.py TARGET        # then: python -m http.server -d TARGET/_site

Both spiders (`eastmoney`, `eastmoney_724`) crawl the mirror served on 127.0.0.1, with
FINEWS_SITE_URL empty so the posts' back links are root-relative and work on a local server;
the build takes this template (the archive has none of its own) and, when Pagefind is
installed (extra `site`), makes the search index. Run it again on the same TARGET and the
crawls add nothing; the site is built anew.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent
REPO = TEMPLATE.parent
sys.path.insert(0, str(REPO))

from fixtures.testing import crawl_command, scrapy_command, serve  # noqa: E402

SPIDERS = ("eastmoney", "eastmoney_724")


def build(target: Path) -> Path:
    """Make the demo site in `target` and return its built `_site` folder."""
    target = Path(target).resolve()
    if target == TEMPLATE or TEMPLATE in target.parents:
        raise ValueError(f"TARGET must be outside the template folder {TEMPLATE}")
    server, base_url = serve()
    try:
        for spider in SPIDERS:
            command = crawl_command(base_url, target, spider=spider, FINEWS_SITE_URL="", LOG_LEVEL="WARNING")
            subprocess.run(command, cwd=REPO, check=True)
    finally:
        server.shutdown()
    search = [] if importlib.util.find_spec("pagefind") else ["--no-search"]
    if search:
        print("pagefind is not installed (pip install -e '.[site]'): the demo has no search index", file=sys.stderr)
    command = scrapy_command("archive", "build", *search, settings={"FINEWS_ARCHIVE_DIR": target})
    subprocess.run(command, cwd=REPO, check=True)
    return target / "_site"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        site = build(Path(argv[0]))
    except subprocess.CalledProcessError as exc:
        print(f"failed: {' '.join(map(str, exc.cmd[:4]))} … exited with {exc.returncode}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    posts = len(list((site.parent / "_posts").glob("*.md")))
    print(f"{posts} posts; site built in {site}\nServe it: python3 -m http.server -d {site} 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
