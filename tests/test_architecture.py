"""The layout is the architecture (docs/architecture.md): imports point one way, each folder holds one kind.

commands -> tools (the offline verbs) -> archive (the crawl-time model) -> items, ids, exitstatus
commands, spiders, pipelines, extensions, middlewares -> archive, sharedindex (Redis)
parsers -> items, ids (no Scrapy, no archive)
"""

import ast
import importlib
import inspect

import pytest

from tests.conftest import REPO

PACKAGES = ("crawler", "pipelines")


def modules() -> dict[str, set[str]]:
    """Every module of the product packages, with the project modules and top-level packages it imports."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            imported = set()
            for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:  # `from crawler import x` imports crawler.x
                    imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
            found[name] = imported
    return found


def runtime_nodes(tree: ast.AST):
    """The nodes of `tree` that run, leaving out `if TYPE_CHECKING:` blocks (type-only imports)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


MODULES = modules()


def imports_of(prefix: str) -> dict[str, set[str]]:
    return {name: imported for name, imported in MODULES.items() if name == prefix or name.startswith(prefix + ".")}


def offending(prefix: str, forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    """Modules under `prefix` that import anything under one of `forbidden`."""
    bad = {}
    for name, imported in imports_of(prefix).items():
        hits = {i for i in imported if any(i == f or i.startswith(f + ".") for f in forbidden)}
        if hits:
            bad[name] = hits
    return bad


def test_the_product_never_imports_pipelines_or_test_tools():
    assert offending("crawler", ("pipelines", "fixtures", "tests", "bench")) == {}


def test_parsers_import_no_scrapy_and_no_archive():
    forbidden = ("scrapy", "twisted", "crawler.archive", "crawler.spiders", "crawler.extensions", "crawler.commands")
    assert offending("crawler.parsers", forbidden) == {}


ARCHIVE_MAY_IMPORT = ("crawler.archive", "crawler.items", "crawler.ids", "crawler.exitstatus", "crawler.settings")
RUNS_PROGRAMS = ("subprocess", "multiprocessing", "pty", "shutil")  # shutil: which(); os.system and kin: below
CRAWL = ("crawler.spiders", "crawler.extensions", "crawler.parsers", "crawler.downloadermiddlewares")


def test_the_archive_imports_only_records_and_no_scrapy_redis_or_programs():
    assert offending("crawler.archive", ("scrapy", "twisted", "redis", *RUNS_PROGRAMS)) == {}
    project = {
        name: {i for i in imported if i.startswith("crawler.") and not i.startswith(ARCHIVE_MAY_IMPORT)}
        for name, imported in imports_of("crawler.archive").items()
    }
    assert {name: hits for name, hits in project.items() if hits} == {}


def test_the_archive_model_stays_small():
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (REPO / "crawler/archive").glob("*.py"))
    # 1,300: 1,200 until the archive's settings record (record.py), which every crawl reads, joined it.
    assert lines <= 1300, f"crawler/archive is {lines} lines: what is not the crawl-time model belongs elsewhere"


def test_only_the_commands_import_the_offline_tools():
    importers = {name for name, imported in MODULES.items() if any(i.startswith("crawler.tools") for i in imported)}
    assert {name for name in importers if not name.startswith(("crawler.commands", "crawler.tools"))} == set()


def test_the_offline_tools_import_no_scrapy_and_nothing_of_a_crawl_but_its_pure_parsers():
    forbidden = ("scrapy", "twisted", "crawler.commands", "crawler.sharedindex", *set(CRAWL) - {"crawler.parsers"})
    assert offending("crawler.tools", forbidden) == {}


PROGRAM_CALLS = {"system", "popen", "posix_spawn", "posix_spawnp", "fork", "forkpty"}  # and os.exec*, os.spawn*


def test_only_the_offline_tools_run_external_programs():
    outside = {name for name in offending("crawler", ("subprocess", "pty", "multiprocessing"))}
    assert {name for name in outside if not name.startswith("crawler.tools")} == set()
    calls = []
    for path in sorted((REPO / "crawler").rglob("*.py")):
        if "tools" in path.relative_to(REPO).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.attr] if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "os" else []
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                names = [alias.name for alias in node.names]
            if any(n in PROGRAM_CALLS or n.startswith(("exec", "spawn")) for n in names):
                calls.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert calls == []


def test_the_product_never_finds_files_through_its_own_location():
    """What a command needs of a checkout (the demo's mirror, the site template) comes from the checkout
    it runs in (the folder of scrapy.cfg), never from where the package happens to be installed."""
    found = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Name) and node.id == "__file__"
    ]
    assert found == []


def test_the_shared_redis_index_is_its_own_part():
    forbidden = ("scrapy", "twisted", "crawler.archive", "crawler.tools", "crawler.commands", *CRAWL)
    assert offending("crawler.sharedindex", forbidden) == {}


def test_every_name_the_archive_owns_on_disk_is_spelled_once():
    """`_posts`, `_site`, the quarantine, the index folders' paths and the `.finews*` files: crawler/archive/layout.py."""
    owned = {"_posts", "_finews_quarantine", "_site", "emnews", "old_post"}
    spelled = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if path == REPO / "crawler/archive/layout.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                          if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and ast.get_docstring(node)}  # fmt: skip
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                    text = node.value
                    if text in owned or ".finews" in text or text.startswith(("category/", "emnews/", "_posts/")):
                        spelled.append(f"{path.relative_to(REPO)}:{node.lineno} {text!r}")
    assert [line for line in spelled if not line.startswith("crawler/settings.py")] == []


def test_no_caller_switches_on_the_kind_of_feed():
    """A feed's differences live in its Feed class: nobody compares a feed with ARTICLES or FAST_NEWS."""
    switches = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Compare):
                    names = [n.id for n in [node.left, *node.comparators] if isinstance(n, ast.Name)]
                    if {"ARTICLES", "FAST_NEWS"} & set(names):
                        switches.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert switches == []


def test_exit_statuses_are_named():
    """Every exit status a command sets is one of crawler/exitstatus.py, never a bare number."""
    bare = []
    for path in sorted((REPO / "crawler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else []
            exitcode = any(isinstance(t, ast.Attribute) and t.attr == "exitcode" for t in targets)
            if exitcode and isinstance(node.value, ast.Constant):
                bare.append(f"{path.relative_to(REPO)}:{node.lineno}")
            called = getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
            exit_call = called in ("exit", "SystemExit") and node.args
            if exit_call and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int):
                bare.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert bare == []


@pytest.mark.parametrize("module", ["crawler.items", "crawler.ids", "crawler.statkeys", "crawler.signals"])
def test_the_bottom_layer_imports_nothing_above_it(module):
    project = {i for i in MODULES[module] if i.startswith(("crawler", "pipelines")) and not i.startswith("crawler.ids")}
    assert project == set()


def test_spiders_and_commands_do_not_reach_into_each_other():
    assert offending("crawler.spiders", ("crawler.commands",)) == {}
    assert offending("crawler.commands", ("crawler.spiders",)) == {}


def test_pipelines_holds_only_item_pipelines():
    for path in sorted((REPO / "pipelines").glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"pipelines.{path.stem}")
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
        assert classes, path
        assert all(hasattr(c, "process_item") and hasattr(c, "from_crawler") for c in classes), path


def test_every_module_says_what_it_is_for():
    for package in (*PACKAGES, "fixtures"):
        for path in sorted((REPO / package).rglob("*.py")):
            if "site" in path.relative_to(REPO).parts:
                continue
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            assert docstring, f"{path.relative_to(REPO)} has no module docstring"


def test_public_functions_have_type_hints():
    missing = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
                    continue
                arguments = [a for a in node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
                scrapy_hook = node.name in SCRAPY_HOOKS  # signatures Scrapy defines
                if not scrapy_hook and (node.returns is None or any(a.annotation is None for a in arguments)):
                    missing.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}")
    assert missing == []


# Methods whose signatures Scrapy (or the stdlib) defines and documents: not re-annotated here.
SCRAPY_HOOKS = {
    "from_crawler", "process_item", "process_request", "process_response", "process_exception", "update_settings", "spider_opened",
    "spider_closed", "spider_idle", "item_scraped", "item_dropped", "item_error", "run", "syntax", "short_desc",
    "add_options", "process_options", "start", "filter", "long_desc",
}  # fmt: skip


def test_the_formatter_owns_the_product_code():
    """No `# fmt: skip` in crawler/ or pipelines/: ruff format decides line length and layout."""
    skipped = [
        f"{path.relative_to(REPO)}:{number}"
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "fmt: skip" in line or "fmt: off" in line
    ]
    assert skipped == []
