# frozen_string_literal: true

# A post body never speaks to the search index: Pagefind reads `data-pagefind-*` attributes wherever
# they are in a page (`data-pagefind-meta="url:javascript:..."` in a body made a search result a script
# link). The layouts set the ones the site needs; after a post's Markdown is converted and before it
# enters its layout, every `data-pagefind-*` attribute of its body is removed. Crawled bodies never
# hold one (the sanitizer's allowlist); old and hand-edited posts may (`scrapy archive doctor` reports them).
module Finews
  module BodyAttributes
    PAGEFIND = %r!\s+data-pagefind-[\w:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?!i.freeze

    def self.strip(html)
      html.gsub(/<[^<>]*>/) { |tag| tag.gsub(PAGEFIND, "") } # in tags only: a body's text stays as it is
    end
  end
end

Jekyll::Hooks.register :posts, :post_convert do |post|
  post.content = Finews::BodyAttributes.strip(post.content) if post.content.match?(/data-pagefind-/i)
end
