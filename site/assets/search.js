// The search page's own script (search.html): a small search UI over the index `scrapy archive build`
// writes to /pagefind/ (crawler/tools/search.py), and window.finewsSearch(query) for scripts and tests:
// a Promise of the paths of every post the search finds for `query`, in the order the UI shows them.
//
// The index holds words of its own: overlapping pairs of units (a CJK character, a run of ASCII letters
// and digits) and each ASCII run alone. tokens() here is crawler/tools/search.py's tokens(), line for
// line (tests/test_search_index.py runs both on the same strings). A query is the words of its pairs,
// so Pagefind finds every post that holds it; the posts whose title or text holds the query itself
// (each of its space-separated parts, ASCII words whole) are the results, in Pagefind's order: each
// candidate is checked in its text, in batches, as the reader pages (even a query of two units: Pagefind
// was seen to give a candidate without the pair). Everything a page shows is set as text (textContent).
(function () {
  "use strict";

  var CJK = "\\u3005\\u3007\\u3041-\\u3096\\u309d-\\u309f\\u30a1-\\u30fa\\u30fc-\\u30ff\\u31f0-\\u31ff" +
    "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uac00-\\ud7af\\u{20000}-\\u{3ffff}";
  var UNIT = new RegExp("[" + CJK + "]|[0-9a-z]+", "gu");
  var RUN = new RegExp("[" + CJK + "0-9a-z]+", "gu");
  var ASCII = /[0-9a-z]/;
  var MAX_RUN = 35;
  var PAGE = 10; // results a page of the UI shows
  var BATCH = 20; // results whose text is checked at once
  var EXCERPT = 60; // characters of text around the query

  function normalized(text) {
    return text.normalize("NFKC").replace(/[A-Z]+/g, function (upper) { return upper.toLowerCase(); });
  }

  function code(unit) {
    if (unit.charCodeAt(0) < 128) {
      return "x" + Math.min(unit.length, MAX_RUN).toString(36) + unit.slice(0, MAX_RUN);
    }
    var point = unit.codePointAt(0);
    return point <= 0xffff ? point.toString(16).padStart(4, "0") : "w" + point.toString(16).padStart(5, "0");
  }

  function runs(text) {
    return (normalized(text).match(RUN) || []).map(function (run) { return run.match(UNIT); });
  }

  function tokens(text) {
    var words = [];
    runs(text).forEach(function (run) {
      var codes = run.map(code);
      run.forEach(function (unit, number) {
        if (unit.charCodeAt(0) < 128) words.push("u" + unit);
        if (number) words.push("p" + codes[number - 1] + codes[number]);
      });
    });
    return words;
  }

  // The words Pagefind is asked for: every pair of the query, each ASCII run that stands alone, and a
  // character that stands alone as the prefix of the pairs it begins (last: Pagefind's prefix word).
  function queryWords(query) {
    var words = [], lone = null;
    runs(query).forEach(function (run) {
      if (run.length > 1) {
        tokens(run.join("")).forEach(function (word) { if (word[0] === "p") words.push(word); });
      } else if (run[0].charCodeAt(0) < 128) {
        words.push("u" + run[0]);
      } else {
        lone = "p" + code(run[0]);
      }
    });
    if (lone !== null) words.push(lone);
    return words.filter(function (word, n) { return words.indexOf(word) === n; });
  }

  // The parts of a query a result must hold: its space-separated parts, normalized.
  function phrases(query) {
    return normalized(query).split(/\s+/).filter(function (part) { return part !== ""; });
  }

  // A text normalized character by character, with where each character came from, whitespace runs as one space.
  function mapped(text) {
    var out = "", from = [], at = 0, space = false;
    for (var ch of text) {
      if (/\s/.test(ch)) {
        if (!space) { out += " "; from.push(at); }
        space = true;
      } else {
        var n = normalized(ch);
        for (var i = 0; i < n.length; i++) from.push(at);
        out += n;
        space = false;
      }
      at += ch.length;
    }
    from.push(at);
    return { text: out, from: from };
  }

  // Where `phrase` stands in the normalized `text` with its ASCII ends whole (not inside a longer run), or -1.
  function find(text, phrase) {
    for (var at = text.indexOf(phrase), tries = 0; at >= 0 && tries < 100000; at = text.indexOf(phrase, at + 1), tries++) {
      var before = at > 0 ? text[at - 1] : "", after = text[at + phrase.length] || "";
      if (ASCII.test(phrase[0]) && ASCII.test(before)) continue;
      if (ASCII.test(phrase[phrase.length - 1]) && ASCII.test(after)) continue;
      return at;
    }
    return -1;
  }

  function holds(page, parts) {
    var title = mapped(page.meta.title || "").text, text = mapped(page.meta.text || "").text;
    return parts.every(function (part) { return find(title, part) >= 0 || find(text, part) >= 0; });
  }

  // Pagefind, with every bundle of bundles.json merged: a Promise of it (null when there is no bundle).
  var SITE_PATH = /^\/(?![\/\\])/;
  var BUNDLE_NAME = /^\d{4}(?:-q[1-4]|-\d\d(?:-d\d\d(?:-\d+)?)?)?\/$/;
  var engine = null;
  function pagefind() {
    if (engine === null) {
      engine = (async function () {
        var root = document.getElementById("search").dataset;
        var folder = root.finewsPagefind, site = root.finewsBase;
        var answer = await fetch(folder + "bundles.json");
        if (!answer.ok) throw new Error("no search index: " + answer.status);
        var listed = (await answer.json()).bundles;
        // Only names of bundles as crawler/tools/search.py names them (BUNDLE_RE): a bundle's pagefind.js
        // is script, and no other file of the site is ever imported as one ("../", "//host/").
        var bundles = (Array.isArray(listed) ? listed : []).filter(function (name) {
          return typeof name === "string" && BUNDLE_NAME.test(name);
        });
        if (!bundles.length) return null;
        var found = await import(folder + bundles[0] + "pagefind.js");
        await found.options({ basePath: folder + bundles[0], baseUrl: site, excerptLength: 0 });
        for (var n = 1; n < bundles.length; n++) {
          await found.mergeIndex(folder + bundles[n], { baseUrl: site });
        }
        return found;
      })();
    }
    return engine;
  }

  // The secids a stock box means, as the index files them (crawler/tools/search.py: the filter
  // `stock`): a secid (1.600030) itself; a bare code each market that has such codes (600030: 1. and
  // 0.; 00700: 116.; AAPL: 105.-107.), since a code alone does not say its market (1.000001, 0.000001).
  var SECID = /^(?:[01]\.[0-9]{6}|116\.[0-9]{5}|10[567]\.[A-Z][A-Z0-9]{0,7}(?:[._][A-Z0-9]{1,4})?)$/;
  var TICKER = /^[A-Z][A-Z0-9]{0,7}(?:[._][A-Z0-9]{1,4})?$/;
  function stockSecids(text) {
    var value = String(text || "").trim().toUpperCase();
    if (SECID.test(value)) return [value];
    if (/^[0-9]{6}$/.test(value)) return ["1." + value, "0." + value];
    if (/^[0-9]{5}$/.test(value)) return ["116." + value];
    if (TICKER.test(value)) return ["105." + value, "106." + value, "107." + value];
    return null;
  }
  function stockCode(text) {
    var secids = stockSecids(text);
    return secids ? String(text).trim().toUpperCase() : null;
  }

  // A search: `more(count)` resolves once `count` results (or all there are) are known; `results`
  // holds them, each {url, title, text, parts}; `done` says every candidate was checked. With a
  // stock, only the posts East Money tagged with it; a stock alone gives all of them.
  async function start(query, stock) {
    var words = queryWords(query), parts = phrases(query), code = stockCode(stock);
    var state = { results: [], done: true, candidates: 0, more: function () { return Promise.resolve(); } };
    if (!words.length && !code) return state;
    var engine = await pagefind();
    if (engine === null) return state;
    var filters = code ? { filters: { stock: { any: stockSecids(code) } } } : {};
    var found = await engine.search(words.length ? words.join(" ") : null, filters);
    var candidates = found.results, next = 0;
    state.candidates = candidates.length;
    state.done = candidates.length === 0;
    state.more = async function (count) {
      while (state.results.length < count && next < candidates.length) {
        var batch = candidates.slice(next, next + BATCH);
        next += batch.length;
        var pages = await Promise.all(batch.map(function (result) { return result.data(); }));
        pages.forEach(function (page) {
          if (SITE_PATH.test(page.url) && holds(page, parts)) { // a path of this site, never a scheme or host
            state.results.push({ url: page.url, title: page.meta.title || page.url, text: page.meta.text || "", parts: parts });
          }
        });
      }
      state.done = next >= candidates.length;
    };
    return state;
  }

  window.finewsSearch = async function (query, stock) {
    if (stock !== undefined && stock !== null && stock !== "" && stockCode(stock) === null) return [];
    var state = await start(String(query || ""), stock);
    for (var rounds = 0; !state.done && rounds < 1000000; rounds++) await state.more(state.results.length + 1000);
    return state.results.map(function (result) { return new URL(result.url, location.href).pathname; });
  };
  window.finewsTokens = tokens; // for tests: the same words as crawler/tools/search.py tokens()
  window.finewsQueryWords = queryWords;

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  // The excerpt of a result: the text around the first place that holds a part of the query, marked.
  function excerpt(result) {
    var text = mapped(result.text), at = -1, length = 0;
    for (var i = 0; i < result.parts.length && at < 0; i++) {
      at = find(text.text, result.parts[i]);
      length = result.parts[i].length;
    }
    var shown = element("p", "search-excerpt");
    if (at < 0) {
      shown.textContent = result.text.slice(0, 2 * EXCERPT) + (result.text.length > 2 * EXCERPT ? "…" : "");
      return shown;
    }
    var start = text.from[at], end = text.from[at + length], original = result.text;
    var from = Math.max(0, start - EXCERPT / 2), to = Math.min(original.length, end + EXCERPT);
    shown.appendChild(document.createTextNode((from > 0 ? "…" : "") + original.slice(from, start)));
    shown.appendChild(element("mark", "", original.slice(start, end)));
    shown.appendChild(document.createTextNode(original.slice(end, to) + (to < original.length ? "…" : "")));
    return shown;
  }

  function setUp() {
    var root = document.getElementById("search");
    if (!root) return;
    var form = element("form", "search-form"), box = element("input", "search-input");
    box.type = "search";
    box.placeholder = "搜索标题和正文";
    box.setAttribute("aria-label", "搜索");
    var stock = element("input", "search-stock");
    stock.type = "search";
    stock.placeholder = "股票代码（可选）";
    stock.setAttribute("aria-label", "股票代码");
    stock.value = new URLSearchParams(location.search).get("stock") || "";
    form.append(box, stock);
    var count = element("p", "search-count"), list = element("ol", "search-results");
    var more = element("button", "search-more", "更多");
    more.type = "button";
    more.hidden = true;
    root.append(form, count, list, more);
    var current = null, shown = 0, timer = null;

    async function show(state) {
      await state.more(shown + PAGE);
      if (state !== current) return;
      state.results.slice(shown, shown + PAGE).forEach(function (result) {
        var item = element("li", "search-result"), link = element("a", "search-link", result.title);
        link.href = result.url;
        item.append(link, excerpt(result));
        list.appendChild(item);
      });
      shown = Math.min(state.results.length, shown + PAGE);
      var total = state.done ? state.results.length : null;
      var what = (box.value.trim() ? "含“" + box.value.trim() + "”" : "") + (state.stock ? "关于 " + state.stock : "");
      count.textContent = total === null ? "已找到 " + state.results.length + " 篇，还有更多" :
        total ? "找到 " + total + " 篇" + what + "的文章" : "没有" + what + "的文章";
      more.hidden = state.done && shown >= state.results.length;
    }

    async function search() {
      var query = box.value, code = stock.value;
      list.textContent = "";
      shown = 0;
      more.hidden = true;
      if (code.trim() && stockCode(code) === null) { current = null; count.textContent = "股票代码应为 600030、00700 或 AAPL 这样的代码"; return; }
      if (!query.trim() && !code.trim()) { current = null; count.textContent = ""; return; }
      count.textContent = "搜索中…";
      var state = await start(query, code);
      state.stock = stockCode(code);
      if (box.value !== query || stock.value !== code) return;
      current = state;
      await show(state);
    }

    function failed(error) { count.textContent = "搜索出错：" + error; }
    [box, stock].forEach(function (input) {
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { search().catch(failed); }, 200);
      });
    });
    if (stock.value) search().catch(failed);
    form.addEventListener("submit", function (event) { event.preventDefault(); search().catch(failed); });
    more.addEventListener("click", function () { if (current) show(current).catch(failed); });
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
    else setUp();
  }
})();
