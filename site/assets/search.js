// The search page's own script (search.html): Pagefind's UI over the index `scrapy archive build`
// writes, and finewsSearch(query) for scripts and tests: a Promise of the paths of every post the
// search finds for `query`, in the order the UI shows them (the same index, Pagefind's JS API).
window.addEventListener("DOMContentLoaded", function () {
  new PagefindUI({ element: "#search", showSubResults: false, showImages: false });
});

window.finewsSearch = async function (query) {
  var pagefind = await import(document.getElementById("search").dataset.finewsBundle + "pagefind.js");
  var found = await pagefind.search(query);
  var pages = await Promise.all(found.results.map(function (result) { return result.data(); }));
  return pages.map(function (page) { return page.url; });
};
