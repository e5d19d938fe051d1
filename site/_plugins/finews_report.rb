# frozen_string_literal: true

# What a build wrote, for `scrapy archive build` to say (its summary line counts the posts Jekyll
# wrote, not the files it was given: finews_post_urls.rb may leave one out): JSON into the file the
# build names in its own config key `finews_report` (a temporary file; nothing when it is unset).
Jekyll::Hooks.register :site, :post_write do |site|
  report = site.config["finews_report"]
  next unless report.is_a?(String) && !report.empty?

  File.write(report, JSON.generate({ "posts" => site.posts.docs.size, "pages" => site.pages.size }))
end
