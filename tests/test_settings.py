"""The project's settings (crawler.config.check_settings): a wrong value is one line that names the
setting and what it accepts, and it stops the crawl before the first request. The archive's settings
record (.finews.cfg) and where its settings stand among Scrapy's priorities."""

import os
import re

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings, get_settings_priority

from crawler import settings as defaults
from crawler.archive import layout
from crawler.archive.record import archive_settings
from crawler.commands import RECORD_PRIORITY, checked_settings
from crawler.config import check_settings
from fixtures.testing import serve
from tests.crawl import scrapy_crawl


def project_scrapy_settings(**changes) -> Settings:
    settings = Settings()
    settings.setmodule(defaults)
    settings.update(changes)
    return settings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"FINEWS_LIST_PAGE_SIZE": "abc"}, "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
        ({"FINEWS_LIST_PAGE_SIZE": "500"}, "setting FINEWS_LIST_PAGE_SIZE must be a whole number from 20 to 200"),
        ({"FINEWS_ARTICLE_URL": "https://x/a/{idd}.html"}, "unknown placeholder {idd}"),
        ({"FINEWS_ARTICLE_URL": "https://x/a/latest.html"}, "{id} is missing"),
        ({"FINEWS_LIST_API_URL": "ftp://x/{column}/{page}"}, "setting FINEWS_LIST_API_URL must be an http(s) URL"),
        ({"FINEWS_MAX_ARTICLE_FAILURE_RATIO": "2"}, "from 0.0 to 1.0"),
        ({"FINEWS_MAX_PARSE_FAILURE_RATIO": "0.5"}, "unknown setting FINEWS_MAX_PARSE_FAILURE_RATIO"),
        ({"FINEWS_FEED": "rss"}, "setting FINEWS_FEED must be one of eastmoney, eastmoney_724"),
    ],
)
def test_wrong_settings_say_which_and_what_is_accepted(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_settings(project_scrapy_settings(**changes))


@pytest.mark.slow
def test_a_wrong_setting_stops_the_crawl_before_any_request(tmp_path):
    server, base_url = serve()
    try:
        process = scrapy_crawl(base_url, tmp_path / "archive", status=2, FINEWS_LIST_PAGE_SIZE="abc")
    finally:
        server.shutdown()
    assert server.requested == [] and "setting FINEWS_LIST_PAGE_SIZE must be" in process.stderr


@pytest.mark.parametrize(
    "value",
    [
        defaults.FINEWS_SITE_URL,  # //finews.withounder.com
        "",  # root-relative links: the demo's
        "https://alice.github.io/news",
        "https://news.example.com/",  # the posts' links are made without the final slash
        "http://127.0.0.1:8000",
        "HTTPS://Example.COM/a/b-c_d.e~f%20g/!$&*+,;=:@",
        "//xn--fiqs8s.example/x",
        "https://x.example:1/a/.well-known/b..c/",  # dots inside a segment are no dot segment
        "https://x.example:65535/%2541",
        "https://x.example/" + "a" * 182,  # 200 characters
    ],
)
def test_site_urls_every_post_can_link_to_are_accepted(value):
    check_settings(project_scrapy_settings(FINEWS_SITE_URL=value))


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JavaScript://x/%0aalert(1)",
        "data:text/html,x",
        "ftp://example.com",
        "example.com",
        "/news",
        "//",
        "https://",
        "https://-x.example",
        "https://x.example:99999",
        "https://x.example:port",
        'https://x.example/"onmouseover=alert(1)',
        "https://x.example/'",
        "https://x.example/a b",
        "https://x.example/a\tb",
        "https://x.example/a\nb",
        " https://x.example",
        "https://x.example/a\x7f",
        "https://x.example/(x)",
        "https://x.example/<b>",
        "https://x.example/`x`",
        "https://x.example/[x]",
        "https://x.example/{x}",
        "https://x.example/a|b",
        "https://x.example/a^b",
        "https://x.example/a\\b",
        "https://x.example\\@evil.example",
        "https://x.example/?q=1",
        "https://x.example/#top",
        "https://user@x.example",
        "https://user:secret@x.example/news",
        "https://x.example/%zz",
        "https://新闻.example",
        "https://x.example/\u202e",
        None,
        # Jekyll's baseurl and the links made of it: no empty, `.` or `..` segment (encoded neither), no
        # encoded control character, a port from 1 to 65535, no final dot, at most 200 characters
        "https://alice.github.io//news",
        "https://alice.github.io/news//",
        "https://alice.github.io/a//b",
        "https://alice.github.io/../news",
        "https://alice.github.io/a/../b",
        "https://alice.github.io/./news",
        "https://alice.github.io/a/..",
        "https://alice.github.io/%2e%2E/news",
        "https://alice.github.io/%2e",
        "https://alice.github.io/news%0a",
        "https://alice.github.io/news%0D%0Ax",
        "https://alice.github.io/news%00",
        "https://alice.github.io/news%7f",
        "https://alice.github.io:0/news",
        "https://alice.github.io:00000",
        "https://alice.github.io:65536",
        "https://alice.github.io./news",
        "https://alice.github.io/" + "a" * 183,  # 201 characters
        "https://alice.github.io/" + "a" * 5000,
    ],
)
def test_site_urls_that_would_break_a_posts_links_are_refused_in_one_line(value):
    with pytest.raises(
        ValueError, match=r"^setting FINEWS_SITE_URL must be empty \(root-relative links\) or "
    ) as caught:
        check_settings(project_scrapy_settings(FINEWS_SITE_URL=value))
    assert "\n" not in str(caught.value).replace(repr(value), "")


@pytest.mark.parametrize(
    "value",
    [
        defaults.FINEWS_SHARE_URL,
        "https://x.example/s?c={info_code}&x=%41#top",
        "https://x.example/{info_code}/{info_code}.html",
        "https://x.example/fixed-page",  # no placeholder: one link for every post
        "https://x.example/新闻/{info_code}",
    ],
)
def test_share_urls_with_bare_placeholders_are_accepted(value):
    check_settings(project_scrapy_settings(FINEWS_SHARE_URL=value))


@pytest.mark.parametrize(
    ("value", "said"),
    [
        # str.format's conversions and format specs: a crawl that fails on every post (`:d` of a str),
        # a repr's quotes in every link, a gigabyte built for every post
        ("https://x.example/{info_code:d}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code!r}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code!s}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code:>999999999}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code:{info_code}}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code[0]}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code.real}", "a placeholder is a bare {name}"),
        ("https://x.example/{}", "a placeholder is a bare {name}"),
        ("https://x.example/{0}", "a placeholder is a bare {name}"),
        ("https://x.example/{info_code", "its braces do not pair"),
        # what ends the post's <URL> link or opens markup, outside the placeholder
        ("https://x.com/{info_code}>[x](javascript:alert(1))<", "it is in every post's links"),
        ("https://x.example/{info_code}>", "it is in every post's links"),
        ("https://x.example/a b/{info_code}", "it is in every post's links"),
        ("https://x.example/a\tb/{info_code}", "it is in every post's links"),
        ("https://x.example/{info_code}\n", "it is in every post's links"),
        ("https://x.example/\x1b[31m/{info_code}", "it is in every post's links"),
        ("https://x.example/\u202e/{info_code}", "it is in every post's links"),
        ("https://x.example/\u2028/{info_code}", "it is in every post's links"),
        ("https://x.example/\udcff/{info_code}", "it is in every post's links"),  # a byte that is no UTF-8
        ("https://x.example/{{info_code}}", "it is in every post's links"),  # a literal { in the link
        ('https://x.example/"{info_code}', "it is in every post's links"),
        ("https://x.example/'{info_code}", "it is in every post's links"),
        ("https://x.example/`{info_code}`", "it is in every post's links"),
        ("https://x.example/[{info_code}]", "it is in every post's links"),
        ("https://x.example/({info_code})", "it is in every post's links"),
        ("https://x.example/a|b^c/{info_code}", "it is in every post's links"),
        ("https://x.example\\@evil.example/{info_code}", "it is in every post's links"),
        ("javascript:alert(1)//{info_code}", "must be an http(s) URL"),
    ],
)
def test_share_urls_that_break_a_crawl_or_a_posts_link_are_refused_in_one_line(value, said):
    with pytest.raises(ValueError) as caught:
        check_settings(project_scrapy_settings(FINEWS_SHARE_URL=value))
    message = str(caught.value)
    assert message.startswith("setting FINEWS_SHARE_URL must be an http(s) URL") and said in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FINEWS_LIST_API_URL", "https://x.example/l?c={column}&p={page:d}"),
        ("FINEWS_LIST_API_URL", "https://x.example/l?c={column!r}&p={page}"),
        ("FINEWS_LIST_API_URL", "https://x.example/l?c={column}&p={page}&s={page_size:>999999999}"),
        ("FINEWS_LIST_PAGE_URL", "https://x.example/a/{slug[0]}.html"),
        ("FINEWS_ARTICLE_URL", "https://x.example/a/{id:x}.html"),
        ("FINEWS_FAST_LIST_URL", "https://x.example/f?s={sort_end!a}"),
        ("FINEWS_FAST_LIST_URL", "https://x.example/f?s={sort_end}&t={req_trace.upper}"),
    ],
)
def test_the_request_url_templates_take_only_bare_placeholders(name, value):
    with pytest.raises(ValueError, match=re.escape(f"setting {name} must be an http(s) URL")) as caught:
        check_settings(project_scrapy_settings(**{name: value}))
    assert "a placeholder is a bare {name}" in str(caught.value)


# --- the archive's settings record (.finews.cfg, crawler/archive/record.py) ------------------------


def record_of(root, text: str | bytes):
    path = root / layout.SETTINGS_FILE
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_an_archive_without_a_record_has_no_settings_of_its_own(tmp_path):
    assert archive_settings(tmp_path) == {}
    assert archive_settings(tmp_path / "not-made-yet") == {}
    (tmp_path / "a-file").write_text("x")
    assert archive_settings(tmp_path / "a-file") == {}


def test_the_record_gives_its_settings_as_written(tmp_path):
    record_of(tmp_path, "# made by init\n[settings]\nFINEWS_SITE_URL = https://alice.github.io/news\n"
                        "FINEWS_SHARE_URL = https://x.example/s?c={info_code}&x=%41\n")  # fmt: skip
    assert archive_settings(tmp_path) == {
        "FINEWS_SITE_URL": "https://alice.github.io/news",
        "FINEWS_SHARE_URL": "https://x.example/s?c={info_code}&x=%41",  # no interpolation
    }
    record_of(tmp_path, "[settings]\nFINEWS_SITE_URL =\n")
    assert archive_settings(tmp_path) == {"FINEWS_SITE_URL": ""}


def test_a_record_that_starts_with_a_byte_order_mark_is_read(tmp_path):
    """Some editors (Notepad) write one at the start of a UTF-8 file: it is no part of the text."""
    record_of(tmp_path, b"\xef\xbb\xbf[settings]\r\nFINEWS_SITE_URL = https://alice.github.io/news\r\n")
    assert archive_settings(tmp_path) == {"FINEWS_SITE_URL": "https://alice.github.io/news"}
    assert archive_settings_of(tmp_path)["FINEWS_SITE_URL"] == "https://alice.github.io/news"
    record_of(tmp_path, b"\xef\xbb\xbf\xef\xbb\xbf[settings]\n")  # one mark, not two
    with pytest.raises(ValueError, match="is not an INI file"):
        archive_settings(tmp_path)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[settings]\nFINEWS_ARCHIVE_DIR = /etc\n", "unknown setting 'FINEWS_ARCHIVE_DIR'"),
        ("[settings]\nFINEWS_REDIS_URL = redis://evil.example\n", "unknown setting 'FINEWS_REDIS_URL'"),
        ("[settings]\nfinews_site_url = https://x.example\n", "unknown setting 'finews_site_url'"),
        ("[settings]\nDOWNLOAD_DELAY = 0\n", "unknown setting 'DOWNLOAD_DELAY'"),
        ("[other]\nFINEWS_SITE_URL = https://x.example\n", "may hold one section, [settings]"),
        ("[DEFAULT]\nFINEWS_SITE_URL = https://x.example\n", "may hold one section, [settings]"),
        ("FINEWS_SITE_URL = https://x.example\n", "is not an INI file"),
        ("[settings]\nFINEWS_SITE_URL = a\nFINEWS_SITE_URL = b\n", "is not an INI file"),
        ("[settings]\n[settings]\n", "is not an INI file"),
        ("[settings]\nFINEWS_SITE_URL = https://x.example\n  /more\n", "must be one line"),
        ("[settings]\nFINEWS_SITE_URL = https://x.example/\x1b[31m\n", "must be one line"),
        (b"[settings]\nFINEWS_SITE_URL = https://x.example/\xff\n", "is not UTF-8 text"),
        ("[settings]\n" + "# padding\n" * 7000, "must be a regular file of at most 65536 bytes"),
    ],
)
def test_a_record_that_is_not_what_init_writes_is_refused_in_one_line_naming_it(tmp_path, text, said):
    path = record_of(tmp_path, text)
    with pytest.raises(ValueError) as caught:
        archive_settings(tmp_path)
    message = str(caught.value)
    assert said in message and str(path) in message and "\n" not in message


def test_a_record_that_is_a_link_or_no_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / layout.SETTINGS_FILE
    path.symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="is a symbolic link"):
        archive_settings(tmp_path)
    path.unlink()
    path.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="is a symbolic link"):
        archive_settings(tmp_path)
    path.unlink()
    os.mkfifo(path)  # never opened for a writer: a read that blocked would hang here
    with pytest.raises(ValueError, match="is not a regular file"):
        archive_settings(tmp_path)
    path.unlink()
    path.mkdir()
    with pytest.raises(ValueError, match=re.escape(str(path))):
        archive_settings(tmp_path)


def archive_settings_of(root, **cmdline) -> Settings:
    """The project's settings for the archive `root`, -s `cmdline`, as a command has them after checked_settings."""
    settings = project_scrapy_settings()
    settings.set("FINEWS_ARCHIVE_DIR", str(root), priority="cmdline")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    checked_settings(settings)
    return settings


def test_the_record_is_above_the_project_and_below_a_spider_and_the_command_line(tmp_path):
    record_of(tmp_path, "[settings]\nFINEWS_SITE_URL = https://alice.github.io/news\n")
    settings = archive_settings_of(tmp_path)
    assert settings["FINEWS_SITE_URL"] == "https://alice.github.io/news"
    assert settings.getpriority("FINEWS_SITE_URL") == RECORD_PRIORITY
    assert get_settings_priority("project") < RECORD_PRIORITY < get_settings_priority("spider")
    settings.set("FINEWS_SITE_URL", "https://spider.example", priority="spider")  # a spider's custom_settings
    assert settings["FINEWS_SITE_URL"] == "https://spider.example"
    assert archive_settings_of(tmp_path, FINEWS_SITE_URL="")["FINEWS_SITE_URL"] == ""  # -s wins, empty too
    assert archive_settings_of(tmp_path / "elsewhere")["FINEWS_SITE_URL"] == defaults.FINEWS_SITE_URL
    assert archive_settings_of(tmp_path)["FINEWS_SHARE_URL"] == defaults.FINEWS_SHARE_URL  # not recorded


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[settings]\nFINEWS_SITE_URL = javascript:alert(1)\n", "setting FINEWS_SITE_URL must be"),
        ("[settings]\nFINEWS_SHARE_URL = https://x.example/{id}\n", "setting FINEWS_SHARE_URL must be"),
        ("[settings]\nFINEWS_SHARE_URL = https://x.example/{info_code:d}\n", "a placeholder is a bare {name}"),
        ("[settings]\nFINEWS_SHARE_URL = https://x.com/{info_code}>[x](javascript:alert(1))<\n", "every post's"),
        ("[settings]\nFINEWS_SITE_URL = https://alice.github.io//news\n", "setting FINEWS_SITE_URL must be"),
        ("[settings]\nFINEWS_ARCHIVE_DIR = /\n", "unknown setting 'FINEWS_ARCHIVE_DIR'"),
    ],
)
def test_a_bad_value_in_the_record_is_a_usage_error_naming_the_record(tmp_path, text, said):
    path = record_of(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        archive_settings_of(tmp_path)
    assert said in str(caught.value) and str(path) in str(caught.value)
    archive_settings_of(tmp_path / "elsewhere")  # another archive is not concerned


def test_the_demo_reads_no_record(tmp_path):
    record_of(tmp_path, "[settings]\nFINEWS_SITE_URL = javascript:alert(1)\n")
    settings = project_scrapy_settings()
    settings.set("FINEWS_ARCHIVE_DIR", str(tmp_path), priority="cmdline")
    checked_settings(settings, record=False)
    assert settings["FINEWS_SITE_URL"] == defaults.FINEWS_SITE_URL


@pytest.mark.parametrize("value", ["yes", "2", "", "on"])
def test_the_stocks_switch_is_true_or_false(value):
    settings = project_scrapy_settings(FINEWS_FRONT_MATTER_STOCKS=value)
    with pytest.raises(ValueError, match="setting FINEWS_FRONT_MATTER_STOCKS must be True or False"):
        check_settings(settings)
    settings.set("FINEWS_FRONT_MATTER_STOCKS", "True")
    check_settings(settings)
