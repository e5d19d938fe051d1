"""Write each article as `_posts/YYYY-MM-DD-<infoCode>.md`, and its category page when missing."""

from pipelines.archive import archive_for
from pipelines.render import render_category_page, render_post
from pipelines.slugs import category_slug


class WritePostPipeline:
    def __init__(self, archive, stats, share_url: str, site_url: str):
        self.archive = archive
        self.stats = stats
        self.share_url = share_url
        self.site_url = site_url.rstrip("/")

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(archive_for(crawler), crawler.stats, settings["FINEWS_SHARE_URL"], settings["FINEWS_SITE_URL"])

    def process_item(self, article, spider=None):
        slug = category_slug(article.source)
        text = render_post(article, slug, self.share_url, self.site_url)
        self.archive.add_post(article.published_at, article.info_code, text)
        self.stats.inc_value("finews/posts/written")
        self.stats.inc_value(f"finews/posts/by_source/{article.source}")
        category_page = self.archive.root / "category" / f"{slug}.html"
        if not category_page.exists():
            self.archive.write(category_page, render_category_page(article.source, slug))
            self.stats.inc_value("finews/categories/created")
        return article
