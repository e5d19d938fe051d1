"""Article pages for the benchmarks: the mirror's pages, and generated ones of varied sizes.

Generated pages clone the mirror's pages (both templates) and grow them to a target size
(8-200 KB, log-uniform). Real East Money article pages are mostly page furniture (navigation,
sidebars of related links, inline scripts) around a short body, so by default a page's growth
goes partly into the body (its own paragraphs repeated, 10-50% of the growth) and the rest, in
thirds, into an inline script in the head, a navigation list before the article and a
related-links list after it; `body_share=1.0` puts it all into the body, the
worst case for this project's parser. Titles, times and sources stay as the mirror's manifest says.
"""

import json
import random
import re

from fixtures.testing import ARTICLE_PATH, FIXTURE_SITE

MANIFEST = json.loads((FIXTURE_SITE / "manifest.json").read_text(encoding="utf-8"))
_BODY_MARK = "<!--文章主体-->"


def mirror_pages() -> list[tuple[dict, str]]:
    """(ground truth, page html) for every article page of the bundled mirror."""
    return [(truth, (FIXTURE_SITE / ARTICLE_PATH.format(id=truth["id"])).read_text(encoding="utf-8"))
            for truth in MANIFEST["articles"]]  # fmt: skip


def generated_pages(count: int, max_bytes: int = 200_000, body_share: float | None = None, seed: int = 7):
    """`count` (ground truth, html) pages of 8 KB to `max_bytes`, cloned from the mirror's pages."""
    rng = random.Random(seed)
    models = mirror_pages()
    titles = [truth["title"] for truth, _ in models]
    pages = []
    for number in range(count):
        truth, page = models[number % len(models)]
        growth = max(0, int(8_000 * (max_bytes / 8_000) ** rng.random()) - len(page.encode()))
        share = body_share if body_share is not None else rng.uniform(0.1, 0.5)
        body = page.split(_BODY_MARK, 1)[1]
        paragraphs = [p for p in re.findall(r"<p>(?:(?!</p>).)*</p>", body, re.S) if len(p) > 60] or ["<p>正文</p>"]
        filler = _repeat(rng, paragraphs, int(growth * share))
        links = [f'<li><a href="https://finance.eastmoney.com/a/{rng.randrange(10**17, 10**18)}.html" target="_blank">'
                 f"{rng.choice(titles)}</a><span class=\"time\">{rng.randrange(1, 13):02d}月{rng.randrange(1, 29):02d}日</span></li>"
                 for _ in range(40)]  # fmt: skip
        third = int(growth * (1 - share)) // 3  # furniture: a script in the head, navigation before, links after
        records = [
            json.dumps({"title": t, "code": str(rng.randrange(10**17, 10**18))}, ensure_ascii=False) for t in titles
        ]
        script = "var relatedNews = [" + ",".join(_repeat(rng, records, third)) + "];"
        page = page.replace("</head>", f"<script>{script}</script></head>", 1)
        navigation = f'<div class="topnav"><ul>{"".join(_repeat(rng, links, third))}</ul></div>'
        page = re.sub(r"<body[^>]*>", lambda m, nav=navigation: m.group(0) + nav, page, count=1)
        page = page.replace(_BODY_MARK, _BODY_MARK + "".join(filler), 1)
        page = page.replace(
            "</body>", f'<div class="sidebar"><ul>{"".join(_repeat(rng, links, third))}</ul></div></body>', 1
        )
        pages.append((truth, page))
    return pages


def _repeat(rng: random.Random, pieces: list[str], size: int) -> list[str]:
    chosen, total = [], 0
    while total < size:
        piece = rng.choice(pieces)
        chosen.append(piece)
        total += len(piece.encode())
    return chosen
