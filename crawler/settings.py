"""Scrapy settings for finews-crawler: polite defaults for the live East Money site.

FINEWS_* settings are this project's own; docs/reference.md documents each one. This module is
the one place their defaults are written: code reads them from the crawler's settings
(or, outside a crawl, from here).
"""

from crawler.ids import CANONICAL_ARTICLE_URL

BOT_NAME = "finews"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- the archive -------------------------------------------------------------------------
FINEWS_ARCHIVE_DIR = "archive"  # the Jekyll site root: posts go to <dir>/_posts/
FINEWS_OLD_POSTS_DIR = "old_post"  # older posts (relative to the archive) also count as known
FINEWS_SITE_URL = "//finews.withounder.com"  # base of the back links in each post
FINEWS_SHARE_URL = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode={info_code}"
FINEWS_FRONT_MATTER_STOCKS = False  # True: each post's front matter names its stocks (`stocks: ["1.600030"]`)
FINEWS_FEED = None  # the archive feed (eastmoney, eastmoney_724) of a spider that names none; None: no archive

# --- where East Money is (point these at a mirror to crawl it instead) ---------------------
FINEWS_LIST_API_URL = (
    "https://np-listapi.eastmoney.com/comm/web/getNewsByColumns?client=web&biz=web_news_col"
    "&column={column}&order=1&needInteractData=0&page_index={page}&page_size={page_size}"
    "&req_trace={req_trace}&fields=code,showTime,title,mediaName,summary,image,url,uniqueUrl,Np_dst"
)
FINEWS_LIST_PAGE_SIZE = 50  # entries asked per list API page (the API allows 20..200)
FINEWS_LIST_PAGE_URL = "https://finance.eastmoney.com/a/{slug}.html"
FINEWS_ARTICLE_URL = CANONICAL_ARTICLE_URL  # https://finance.eastmoney.com/a/{id}.html
FINEWS_FAST_LIST_URL = (  # the 7x24 rolling feed (spider eastmoney_724); {sort_end} is the paging cursor
    "https://np-weblist.eastmoney.com/comm/web/getFastNewsList?client=web&biz=web_724&fastColumn=102"
    "&sortEnd={sort_end}&pageSize={page_size}&req_trace={req_trace}"
)
FINEWS_FAST_PAGE_SIZE = 50  # items asked per feed page (the API allows up to 200)
FINEWS_MAX_LIST_ENTRIES = 200  # entries taken from one list page (more are counted, not taken): bounds the queue

# --- when a run has failed (exit status 5): more than this share of the article pages asked for
# could not be downloaded (after retries) or parsed
FINEWS_MAX_ARTICLE_FAILURE_RATIO = 0.5
# Articles dropped for their content are remembered (.finews.<feed>.drops, crawler/drops.py) and not
# fetched again; True fetches them again (after a parser fix): `-s FINEWS_RETRY_DROPS=True`
FINEWS_RETRY_DROPS = False

# --- watching runs --------------------------------------------------------------------------
FINEWS_REPORT_FILE = None  # a path: the run report (JSON, docs/operations.md "Run report") is written there at the end
FINEWS_PROGRESS_INTERVAL = 60  # seconds between progress lines in the log; 0 turns progress off
# Template drift (crawler/extensions/coverage.py, docs/operations.md "Template drift"): exit status 10
# when a field's share of items that got it from the page itself falls at least FINEWS_COVERAGE_DROP
# (and three standard deviations) below the median of the feed's last runs, or when every article page
# failed one way.
FINEWS_COVERAGE_HISTORY = 20  # runs whose field coverage the archive keeps per feed (.finews.<feed>.coverage); 0: off
FINEWS_COVERAGE_MIN_ITEMS = 10  # items (or pages, all failed) a run needs to be compared, or to join the history
FINEWS_COVERAGE_MIN_RUNS = 3  # earlier runs the history needs before a field has a usual level
FINEWS_COVERAGE_DROP = 0.3  # how far (a share, 0.01 to 1) below its usual level a field's page coverage alarms

# --- WARC capture (crawler/extensions/warc.py, docs/reference.md "WARC capture") ----------------
FINEWS_WARC_DIR = None  # a folder: every downloaded page is also written there as WARC records; None: off
FINEWS_WARC_MAX_BYTES = 1_000_000_000  # a WARC file is closed (and the next one opened) once it reaches this size
# Replay (`scrapy archive replay WARC...` sets these): the run reads the pages of these WARC files of
# its spider instead of asking East Money; with REWRITE, a post the archive holds is written again
# when today's parse of its page differs from it (each change logged).
FINEWS_REPLAY_WARC = []
FINEWS_REPLAY_REWRITE = False

# --- politeness (docs/eastmoney.md §8: fast clients get HTTP 403; ~3 s per request is advised) ---
USER_AGENT = "finews-crawler/0.1 (news archive; +https://docs.scrapy.org)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 3
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 3
RETRY_HTTP_CODES = [403, 429, 500, 502, 503, 504, 522, 524, 408]  # East Money throttles with 403
FINEWS_RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubles for each next one
FINEWS_RETRY_BACKOFF_MAX = 60.0
DOWNLOAD_TIMEOUT = 15  # also the longest a stopping run (SIGTERM) waits for a page in flight
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # real article pages are ~100 KB; larger ones are dropped
DOWNLOAD_WARNSIZE = 1024 * 1024

# Redirects and meta refreshes go only to these domains (and subdomains), or to the exact host of a
# FINEWS_*_URL template (a mirror): anything else is dropped as offsite_redirect.
FINEWS_ALLOWED_DOMAINS = ["eastmoney.com", "dfcfw.com"]

DOWNLOADER_MIDDLEWARES = {
    "crawler.downloadermiddlewares.offsite.OffsiteRedirectMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.downloadermiddlewares.retry.BackoffRetryMiddleware": 550,
}

ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.dedupe.DedupePipeline": 200,
    "pipelines.write.WritePostPipeline": 300,
}
# --- several machines sharing one Redis (docs/distributed.md) -------------
FINEWS_SITE_TEMPLATE = None  # `scrapy archive build`: the Jekyll template folder; unset: site/ of this checkout
FINEWS_SEARCH_BUNDLE_POSTS = (
    2000  # `scrapy archive build`: posts one search-index bundle holds at most (one Pagefind run)
)
FINEWS_REDIS_URL = None  # e.g. redis://10.0.0.5:6379/0; unset: one machine, the archive folder is the index
FINEWS_REDIS_PREFIX = "finews"  # prefix of every Redis key this project uses
FINEWS_REDIS_CLAIM_TTL = (
    300  # seconds a worker's claim on an article lasts until it is written (a killed worker's expire)
)
FINEWS_REDIS_IDLE_WAIT = 60  # seconds a worker with nothing left waits, without progress, to take over others' claims
FINEWS_REDIS_TIMEOUT = 10  # seconds a Redis call may take before the run stops (exit status 8)

EXTENSIONS = {
    "crawler.extensions.coverage.FieldCoverage": 90,  # drift alarms, the coverage history (before the lock goes)
    "crawler.extensions.archive_run.ArchiveRun": 100,  # the run's archive: lock, shared Archive, claims
    "crawler.extensions.summary.RunSummary": 500,
    "crawler.extensions.progress.ProgressLog": 510,
    "crawler.extensions.warc.WarcCapture": 520,  # FINEWS_WARC_DIR: WARC records of every download
}

# A callback yields at most one article (or one list page's requests), and the pipelines are
# synchronous: Scrapy's default of 100 parallel workers per callback output only costs time.
CONCURRENT_ITEMS = 8

TELNETCONSOLE_ENABLED = False  # no control ports on cron runs
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
