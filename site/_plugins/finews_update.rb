# frozen_string_literal: true

# An update of a site an earlier build made (`scrapy archive build` into its folder, see
# crawler/tools/incremental.py). The build stages only the new and changed posts (and those with a
# permalink of their own: a page may move them); the plan, a JSON file the config key
# `finews_update` names, says what the earlier build knew of every other post ("elsewhere": its
# name, its file in the site, its list entry), so the list pages, site.data.finews and the
# destination checks of finews_post_urls.rb see every post as a full build does. Jekyll then
# renders and writes, into a temporary folder the build merges into the site:
# - the posts the plan names ("posts": new or changed since the last build), by file name;
# - every page of each list (finews_lists.rb: a category, a month) that a post of the plan is on
#   now, or that the plan names ("lists": those the changed and removed posts were on before);
# - every other page: the home page, sources.html, archive/, the archive's own pages (few; they
#   may read anything of the site but its posts: site.posts holds only the staged ones);
# - the static files the plan names ("files": new or changed since the last build), by path.
# Without the config key this file does nothing and a build renders everything.
module Finews
  module Update
    module_function

    def plan(site)
      path = site.config["finews_update"]
      return nil unless path.is_a?(String) && !path.empty?

      site.instance_variable_get(:@finews_plan) ||
        site.instance_variable_set(:@finews_plan, JSON.parse(File.read(path)))
    end

    def elsewhere(site)
      Array(plan(site)&.fetch("elsewhere", nil))
    end

    # The site folder's files of the posts the update does not read.
    def files_elsewhere(site)
      elsewhere(site).map { |post| post["file"] }
    end

    # Every post's list entry (Lists.entry), newest first, as Jekyll orders posts: by date, then path.
    def newest_first(site)
      read = site.posts.docs.map { |post| [Lists.entry(post), post.basename] }
      return read.reverse.map(&:first) if elsewhere(site).empty? # Jekyll sorted them oldest first

      known = elsewhere(site).map do |post|
        [post["entry"].merge("date" => Time.iso8601(post["entry"]["date"])), post["name"]]
      end
      (read + known).sort_by { |entry, name| [entry["date"], name] }.reverse.map(&:first)
    end
  end

  class UpdatePlan
    def initialize(site, plan)
      @posts = Array(plan["posts"]).to_h { |name| [name, true] }
      @files = Array(plan["files"]).to_h { |path| [path, true] }
      @lists = Array(plan["lists"]).to_h { |key| [key, true] }
      site.posts.docs.each do |post|
        Lists.keys(post).each { |key| @lists[key] = true } if @posts.key?(post.basename)
      end
    end

    def render?(item)
      case item
      when Jekyll::Document then item.collection.label != "posts" || @posts.key?(item.basename)
      when Jekyll::Page then !item.data.key?("finews_list") || @lists.key?(item.data["finews_list"])
      else @files.key?(item.relative_path.delete_prefix("/"))
      end
    end
  end

  # Jekyll asks its Regenerator, before rendering and before writing each file, whether to.
  module UpdateOnly
    def regenerate?(item)
      plan = site.instance_variable_get(:@finews_update)
      plan.nil? ? super : plan.render?(item)
    end
  end
end

Jekyll::Regenerator.prepend(Finews::UpdateOnly)

# After every generator and every other pre_render hook (finews_post_urls.rb leaves files out there).
Jekyll::Hooks.register :site, :pre_render, priority: :low do |site|
  plan = Finews::Update.plan(site)
  site.instance_variable_set(:@finews_update, Finews::UpdatePlan.new(site, plan)) if plan
end
