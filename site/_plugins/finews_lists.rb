# frozen_string_literal: true

# The archive's list pages, in time linear in its posts: every source's category page paged
# (page 1 stays category/<slug>.html, the URL the posts link back to; then
# category/<slug>/page2.html, ...), the emnews index likewise, a page per month (archive/YYYY/MM/),
# a page of the months (archive/) and one of every source (sources.html). Each list page holds
# at most `finews.per_page` posts (_config.yml, default 500), newest first. Every security a post's
# front matter names (`stocks: ["1.600030"]`, East Money's own tags: FINEWS_FRONT_MATTER_STOCKS) gets a
# list too, stock/<secid>.html paged likewise, and stocks.html lists them all with their counts; each
# such post gets page.finews_stocks (secid, label, url) for its links to them.
#
# Layouts read, on a list page: page.finews_posts (hashes: url, title, date), finews_total,
# finews_page, finews_pages, finews_pager (number, url of every page), finews_prev, finews_next,
# finews_list (which list: "category:<name>", "month:YYYY/MM" or "stock:<secid>"; an update renders a list's pages again
# when a post on it changed: finews_update.rb, which also gives the entries of the posts it does not read);
# on any page: site.data.finews.newest (the newest posts overall), .sources (name, url, count,
# newest date), .months (title, url, count), .stocks (secid, label, url, count). Only this plugin's values reach them: first of all
# generators, OwnKeys takes every `finews_*` key out of the archive's pages, posts and front matter
# defaults (a page's `finews_pages: "x"` stopped the build at the layout's `> 1`, its `finews_prev:`
# was a link of its own), and a `baseurl` the site's links cannot start with. A `finews:` setting
# that is no whole number in range is the default, with a warning.
module Finews
  class ListPage < Jekyll::PageWithoutAFile
    def initialize(site, dir, name, data)
      super(site, site.source, dir, name)
      @data = data
    end
  end

  class OwnKeys < Jekyll::Generator
    safe true
    priority :highest

    OWN = %r!\Afinews_!.freeze
    # A baseurl links can start with: none or a path (/news), never a scheme (javascript:) or a host (//x, /\x).
    BASEURL = %r!\A(?:/[^/\\\x00-\x20\x7f][^\\\x00-\x20\x7f]*)?\z!.freeze

    def generate(site)
      cleaned = [*site.pages, *site.collections.values.flat_map(&:docs)].select { |file| clean(file.data) }
      Array(site.config["defaults"]).each { |set| clean(set["values"]) if set.is_a?(Hash) }
      unless cleaned.empty?
        more = cleaned.size > 1 ? " (and #{cleaned.size - 1} more files)" : ""
        Jekyll.logger.warn "finews:", "#{name(cleaned.first)}: its finews_* keys are left out, " \
                                      "only the list pages have them#{more}"
      end
      safe_baseurl(site)
    end

    private

    # Whether the hash had finews_* keys (now gone).
    def clean(data)
      data.is_a?(Hash) && !data.reject! { |key, _| OWN.match?(key.to_s) }.nil?
    end

    def safe_baseurl(site)
      baseurl = site.config["baseurl"]
      path = baseurl.is_a?(String) ? baseurl.sub(%r!/+\z!, "") : ""
      return if baseurl.nil? || (path == baseurl && BASEURL.match?(path))

      unless BASEURL.match?(path)
        Jekyll.logger.warn "finews:", "_config.yml: baseurl #{baseurl.inspect[0, 80]} is no path like /news; " \
                                      "the site's links start at /"
        path = ""
      end
      site.config["baseurl"] = path
      site.baseurl = path
    end

    def name(file)
      file.is_a?(Jekyll::Document) ? file.path : file.relative_path
    end
  end

  class Lists < Jekyll::Generator
    safe true
    priority :lowest

    # _config.yml's finews: section: each setting's least value and default (the template's), and the most any may be.
    SETTINGS = { "per_page" => [1, 500], "newest" => [0, 100] }.freeze
    MOST = 1_000_000_000

    # What a crawled category slug never holds (crawler/archive/slugs.py): a page of such a name would
    # not be a file or would stop the build (`01:30` reads as a URL scheme).
    UNSAFE_CATEGORY = %r![/\\\x00-\x1f\x7f:*?"<>|#%{}]|\A\.!.freeze

    def generate(site)
      @site = site
      unless site.config["finews"].nil? || site.config["finews"].is_a?(Hash)
        Jekyll.logger.warn "finews:", "_config.yml: finews is no mapping of settings; the defaults instead"
      end
      @per_page = setting(site, "per_page")
      @taken = site.pages.map(&:url).to_h { |url| [url, true] } # the archive's own pages are never replaced
      posts = Update.newest_first(site) # all of them, those an update does not read too
      by_category = posts.group_by { |post| post["category"] }.reject do |category, listed|
        next false unless UNSAFE_CATEGORY.match?(category) # no page of a name no path or URL can take

        Jekyll.logger.warn "finews:", "category #{category.inspect} (#{listed.size} posts) gets no page: " \
                                      "its name cannot be a file name (scrapy archive doctor reports it)"
        true
      end
      index_pages = site.pages.select { |page| page.data["layout"] == "category" && page.data["category"] }
                                .to_h { |page| [page.data["category"].to_s.split.join(" "), page] }
      sources = by_category.map { |category, listed| paged_category(category, listed, index_pages[category]) }
      months = posts.group_by { |post| post["date"].strftime("%Y/%m") }.map do |month, listed|
        year, number = month.split("/")
        first = add(ListPage.new(site, "archive/#{month}", "index.html",
                                 { "layout" => "category", "title" => "#{year}年#{number}月" }))
        paged(first, listed, "month:#{month}") if first
        { "title" => "#{year}年#{number}月", "url" => "/archive/#{month}/", "count" => listed.size }
      end
      add(ListPage.new(site, "archive", "index.html", { "layout" => "months", "title" => "按月浏览" }))
      add(ListPage.new(site, "", "sources.html", { "layout" => "sources", "title" => "全部来源" }))
      stocks = stock_lists(posts)
      add(ListPage.new(site, "", "stocks.html", { "layout" => "stocks", "title" => "全部股票" })) # even with none: every page links it
      site.posts.docs.each do |post|
        linked = Lists.stocks(post).map { |secid| { "secid" => secid, "label" => Lists.label(secid), "url" => "/stock/#{secid}.html" } }
        post.data["finews_stocks"] = linked unless linked.empty?
      end
      site.data["finews"] = {
        "newest" => posts.first(setting(site, "newest")),
        "sources" => sources.sort_by { |source| [-source["newest"].to_i, source["name"]] },
        "months" => months,
        "stocks" => stocks,
        "posts" => posts.size,
      }
    end

    # A security East Money tags (crawler/parsers/securities.py): Shanghai 1 and Shenzhen/Beijing 0 (six
    # digits), Hong Kong 116 (five), the US exchanges 105-107 (a ticker). Anything else in a post's
    # front matter is no link of the site's.
    SECID = %r!\A(?:[01]\.[0-9]{6}|116\.[0-9]{5}|10[567]\.[A-Z][A-Z0-9]{0,7}(?:[._][A-Z0-9]{1,4})?)\z!.freeze
    MARKETS = { "1" => "沪", "0" => "深", "116" => "港", "105" => "美", "106" => "美", "107" => "美" }.freeze
    MOST_STOCKS = 50 # a post's stocks that get a link and a list

    # The secids of a post's front matter `stocks`, as a site may link them: well formed, each once.
    def self.stocks(post)
      listed = post.data["stocks"]
      return [] unless listed.is_a?(Array)

      listed.select { |secid| secid.is_a?(String) && SECID.match?(secid) }.uniq.first(MOST_STOCKS)
    end

    # How a page names a security: its code and its market (`600030 沪`); Beijing's codes are Shenzhen's 0.
    def self.label(secid)
      market, code = secid.split(".", 2)
      market = "北" if market == "0" && code.match?(%r!\A(?:8|4|92)!)
      "#{code} #{MARKETS.fetch(market, market)}"
    end

    # Every security's pages (stock/<secid>.html, then stock/<secid>/page2.html, ...), and the list of them
    # all for stocks.html: the most posts first.
    def stock_lists(posts)
      by_stock = Hash.new { |hash, key| hash[key] = [] }
      posts.each do |post|
        Array(post["stocks"]).select { |secid| secid.is_a?(String) && SECID.match?(secid) }.uniq
                             .first(MOST_STOCKS).each { |secid| by_stock[secid] << post }
      end
      by_stock.map do |secid, listed|
        label = Lists.label(secid)
        first = add(ListPage.new(@site, "stock", "#{secid}.html", { "layout" => "category", "title" => "#{label} 相关新闻" }))
        paged(first, listed, "stock:#{secid}") if first
        { "secid" => secid, "label" => label, "url" => first ? first.url : "", "count" => listed.size }
      end.sort_by { |stock| [-stock["count"], stock["secid"]] }
    end

    private

    # A whole number in range from _config.yml's finews: section, else the default (with a warning when set).
    def setting(site, name)
      least, default = SETTINGS.fetch(name)
      section = site.config["finews"]
      return default unless section.is_a?(Hash) && section.key?(name)

      value = section[name]
      return value if value.is_a?(Integer) && value.between?(least, MOST)

      Jekyll.logger.warn "finews:", "_config.yml: finews.#{name} #{value.inspect[0, 80]} is no whole number " \
                                    "from #{least} to #{MOST}; #{default} instead"
      default
    end

    # A generated page, unless the archive has its own page at that URL (then nil).
    def add(page)
      return nil if @taken[page.url]

      @taken[page.url] = true
      @site.pages << page
      page
    end

    # What a list shows of a post (and an update keeps of the posts it does not read: finews_update.rb).
    def self.entry(post)
      entry = { "url" => post.url, "title" => post.data["title"], "date" => post.date,
                "category" => Array(post.data["categories"]).join(" "), "tag" => Array(post.data["tags"]).join(" ") }
      stocks = stocks(post)
      stocks.empty? ? entry : entry.merge("stocks" => stocks)
    end

    # The source's first page is the crawler's category/<slug>.html (made here when it is missing).
    def paged_category(category, listed, first)
      if first.nil?
        name = category == "emnews" ? "index.html" : "#{category}.html"
        first = add(ListPage.new(@site, category == "emnews" ? "emnews" : "category", name,
                                 { "layout" => "category", "title" => listed.first["tag"], "category" => category }))
      end
      return { "name" => listed.first["tag"], "url" => "", "count" => listed.size, "newest" => listed.first["date"] } if first.nil?

      paged(first, listed, "category:#{category}")
      { "name" => first.data["title"].to_s, "url" => first.url, "count" => listed.size,
        "newest" => listed.first["date"] }
    end

    # The lists a post is on (a page of each is rendered again when it changes: finews_update.rb).
    def self.keys(post)
      ["category:#{Array(post.data["categories"]).join(" ")}", "month:#{post.date.strftime("%Y/%m")}",
       *stocks(post).map { |secid| "stock:#{secid}" }]
    end

    # Every page of one list (`key`: Lists.keys), at most finews.per_page posts each.
    def paged(first, listed, key)
      chunks = listed.each_slice(@per_page).to_a
      url = Jekyll::URL.unescape_path(first.url)
      base = url.end_with?("/") ? url : url.sub(/\.html\z/, "/")
      pages = chunks.each_index.map do |index|
        next first if index.zero?

        page = ListPage.new(@site, base, "page#{index + 1}.html",
                            first.data.merge("title" => first.data["title"], "permalink" => nil).compact)
        @site.pages << page # the next pages of a list are this plugin's own URLs
        page
      end
      pager = pages.each_with_index.map { |page, index| { "number" => index + 1, "url" => page.url } }
      pages.each_with_index do |page, index|
        page.data.merge!(
          "finews_posts" => chunks[index], "finews_total" => listed.size, "finews_page" => index + 1,
          "finews_pages" => pages.size, "finews_pager" => pager, "finews_list" => key,
          "finews_prev" => index.positive? ? pages[index - 1].url : nil, "finews_next" => pages[index + 1]&.url
        )
      end
    end
  end
end
