"""Scrapy add-ons (ADDONS): the distributed mode's switch.

RedisAddon: with FINEWS_REDIS_URL set, Scrapy uses scrapy-redis's shared scheduler queue
and request dupefilter, persisted so that a run continues the one before, and idle workers
wait for shared work (crawler/extensions/shared_work.py). The shared post index is
crawler/archive/shared.py. Unset, nothing changes: one machine.
"""


class RedisAddon:
    def update_settings(self, settings) -> None:
        url = settings.get("FINEWS_REDIS_URL")
        if not url:
            return
        prefix = settings.get("FINEWS_REDIS_PREFIX")
        settings.set("REDIS_URL", url, "addon")
        settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")  # else the dupefilter is deleted when a run closes
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests", "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:dupefilter", "addon")
        settings["EXTENSIONS"] = {
            **settings.getdict("EXTENSIONS"),
            "crawler.extensions.shared_work.WaitForSharedWork": 600,
        }
