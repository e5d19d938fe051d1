"""Scrapy's RetryMiddleware with exponential backoff: a throttling server gets time to recover.

East Money answers fast clients with 403/429/503 (docs/eastmoney.md §8); retrying at once only
makes it worse. Each retry waits FINEWS_RETRY_BACKOFF_BASE * 2**(attempt-1) seconds, or the
server's Retry-After, capped at FINEWS_RETRY_BACKOFF_MAX.
"""

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawler import statkeys as keys

STEP_SECONDS = 0.25  # how often a backoff wait looks whether the run is stopping


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("FINEWS_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("FINEWS_RETRY_BACKOFF_MAX")

    async def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, response.headers.get(b"Retry-After"))
        return result

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def _wait(self, retry: Request, retry_after: bytes | None = None) -> None:
        delay = self.backoff_base * 2 ** (retry.meta["retry_times"] - 1)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        delay = min(delay, self.backoff_max)
        self.crawler.stats.inc_value(keys.RETRY_BACKOFF_SECONDS, delay)
        waited = 0.0
        while waited < delay:  # in short steps: a run told to stop (SIGTERM) does not sit out a backoff
            if not self.crawler.crawling:
                raise IgnoreRequest(f"not retried: the run is stopping ({retry.url})")
            step = min(STEP_SECONDS, delay - waited)
            await maybe_deferred_to_future(deferLater(reactor, step, lambda: None))
            waited += step
