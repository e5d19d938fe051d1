"""The offline verbs of `scrapy archive`, one module each: they read, repair, build and publish an archive.

    init.py      a new archive made ready to crawl and publish (or what an archive lacks added)
    export.py    every post as JSON Lines
    maintain.py  old posts out of Jekyll's way, missing index pages back
    build.py     the web site (Jekyll) and its search index (Pagefind)
    publish.py   commit and push with git
    doctor.py    what the old scripts left behind, found and repaired
    verb.py      what a verb is (name, options, locks, run) and how it fails
    posts.py     a post read back as a record (its fields as Jekyll reads them), for every verb
    executable.py  what in an old post could run script, found and cleaned (doctor)
    replay.py    posts re-derived from WARC files with today's parsers (the command runs the crawls)

Only crawler/commands imports this package; it imports the archive model (crawler/archive) and
no Scrapy. These are the only modules of the product that run external programs (git, Jekyll,
Pagefind). Adding a verb is one module here with one Verb subclass, listed in VERBS.
"""

from crawler.tools.build import Build
from crawler.tools.doctor import Doctor
from crawler.tools.export import Export
from crawler.tools.init import Init
from crawler.tools.maintain import Maintain
from crawler.tools.publish import Publish
from crawler.tools.replay import Replay
from crawler.tools.verb import Verb, VerbFailed

VERBS: dict[str, Verb] = {
    verb.name: verb for verb in (Init(), Export(), Maintain(), Build(), Publish(), Doctor(), Replay())
}

__all__ = ["VERBS", "Verb", "VerbFailed"]
