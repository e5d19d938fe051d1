# frozen_string_literal: true

# What a build made, for `scrapy archive build` (crawler/tools/build.py, incremental.py): JSON into
# the file the build names in its own config key `finews_report` (a temporary file; nothing when it
# is unset). "posts": every post Jekyll read (an update reads only some: finews_update.rb), written
# or not: its file name, where it goes in the site folder, its date, the lists it is on and its list
# entry (finews_lists.rb), whether an update reads it again though it did not change ("reread": a
# permalink of its own, which a page may move; a title JSON does not keep as it is, such as a date);
# "files": every file of the site Jekyll knows; "jekyll": the version that built it. The summary line counts posts from here, not
# the files the build gave Jekyll (finews_post_urls.rb may leave one out).
module Finews
  module Report
    module_function

    # Whether JSON keeps a value as it is (texts, whole and finite numbers, true, false, nil, lists and
    # mappings of those with text keys).
    def native?(value)
      case value
      when String, Integer, true, false, nil then true
      when Float then value.finite?
      when Array then value.all? { |item| native?(item) }
      when Hash then value.all? { |key, item| key.is_a?(String) && native?(item) }
      else false
      end
    end

    # A value as JSON keeps it (texts, whole and finite numbers, true, false, nil, lists and mappings
    # of those), else its text (a date, a time): what Liquid prints of it either way.
    def jsonable(value)
      case value
      when String then value.scrub
      when Integer, true, false, nil then value
      when Float then value.finite? ? value : value.to_s
      when Array then value.map { |item| jsonable(item) }
      when Hash then value.to_h { |key, item| [key.to_s, jsonable(item)] }
      else value.to_s
      end
    end
  end
end

Jekyll::Hooks.register :site, :post_write do |site|
  report = site.config["finews_report"]
  next unless report.is_a?(String) && !report.empty?

  dest = site.dest.end_with?("/") ? site.dest : "#{site.dest}/"
  files = []
  site.each_site_file { |item| files << item.destination(site.dest).delete_prefix(dest) }
  posts = site.posts.docs.map do |post|
    entry = Finews::Lists.entry(post)
    title = Finews::Report.jsonable(entry["title"]) # as the lists show it next time, from JSON
    { "name" => post.basename, "file" => post.destination(site.dest).delete_prefix(dest),
      "date" => post.date.strftime("%Y-%m-%d"), "lists" => Finews::Lists.keys(post),
      "entry" => entry.merge("date" => post.date.iso8601(9), "title" => title),
      "reread" => post.instance_variable_get(:@finews_own) == true || !Finews::Report.native?(entry["title"]) }
  end
  File.write(report, JSON.generate({ "posts" => posts, "pages" => site.pages.size, "files" => files,
                                     "jekyll" => Jekyll::VERSION }))
end
