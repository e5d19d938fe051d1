# frozen_string_literal: true

# A post's own `permalink:` never replaces a page of the site. Before any other generator (the list
# pages of finews_lists.rb read the posts' URLs), every post whose file would be written where a
# page, a static file (assets/style.css), a list page of finews_lists.rb (sources.html, archive/,
# category/, emnews/), the search index (pagefind/) or another post goes, or where one of them needs
# a folder (a post at its usual URL keeps it), gets its URL from _config.yml's permalink instead,
# with a warning naming the post. A post whose usual URL collides even so is left out of the site,
# with a warning.
#
# And no file stops the build where it is written (Destinations): a page, static file or post whose
# path in the site folder no file system takes (a NUL or control character, a name longer than 255
# bytes, a path longer than 4095) or that is a file where another one needs a folder (a static file
# `2022` and the posts of 2022/) is left out, with a warning naming it: the folder's files win. Once
# here, and once more just before rendering, for the list pages finews_lists.rb made since. A folder
# an earlier build left where a file now goes is removed before writing (Jekyll's cleaner does not).
module Finews
  class PostUrls < Jekyll::Generator
    safe true
    priority :highest

    # Where finews_lists.rb and Pagefind write: no post of its own permalink goes there.
    RESERVED = %r!\A(?:sources\.html|archive|category|emnews|pagefind)(?:/|\z)!.freeze

    # What Jekyll keeps in the site folder (keep_files) and never writes: git's, Subversion's, the build's
    # mark and manifest, the search index (crawler/tools/search.py writes it: a file of the archive
    # there would replace a bundle's script).
    # Any case: a case-insensitive file system (a Mac) would write `Pagefind/` into `pagefind/`.
    KEPT = %r!\A(?:\.git|\.svn|\.finews[^/]*|pagefind)(?:/|\z)!i.freeze

    def generate(site)
      Destinations.leave_out_unwritable(site) # first: Jekyll cannot even name the others' files
      leave_out_kept(site)
      taken = {}
      folders = {}
      (site.pages + site.static_files).each { |file| take(Destinations.target(site, file), taken, folders) }
      Update.files_elsewhere(site).each { |path| take(path, taken, folders) } # posts an update does not read
      own, usual = site.posts.docs.partition { |post| post.data["permalink"] }
      own.each { |post| post.instance_variable_set(:@finews_own, true) } # an update reads it again (its URL may move)
      usual.each { |post| take(Destinations.target(site, post), taken, folders) } # a post at its usual URL is never moved
      leave_out_at_posts(site, usual)
      left_out = own.select do |post|
        if collides?(site, post, taken, folders)
          Jekyll.logger.warn "finews:", "#{post.path}: its permalink #{post.data["permalink"]} " \
                                        "would replace a page of the site; it gets the usual URL"
          post.data.delete("permalink")
          %i(@url @destination @renderer).each { |memo| post.instance_variable_set(memo, nil) }
          if collides?(site, post, taken, folders)
            Jekyll.logger.warn "finews:", "#{post.path}: left out, its URL #{post.url} is a page of the site"
            next true
          end
        end
        take(Destinations.target(site, post), taken, folders)
        false
      end
      site.posts.docs.reject! { |post| left_out.include?(post) }
      Destinations.leave_out_in_the_way(site)
    end

    private

    # No page, post, document or static file is written where the site folder keeps what is not the
    # site's (a page with `permalink: /.git/config` would set a command for the next git run there).
    def leave_out_kept(site)
      Destinations.leave_out(site) do |file|
        path = Destinations.target(site, file)
        "it would be written to #{path}" if KEPT.match?(path)
      end
    end

    # A page or static file written where a post at its usual URL goes is left out: the post is the
    # site's; and a page written where a static file goes: the static file is (Jekyll writes it last).
    # A full build and an update, which knows the posts and static files it does not write only by
    # their files, agree.
    def leave_out_at_posts(site, usual)
      posts = usual.to_h { |post| [Destinations.target(site, post), post.path] }
      Update.files_elsewhere(site).each { |path| posts[path] ||= path }
      statics = site.static_files.select(&:write?).to_h { |file| [Destinations.target(site, file), file] }
      Destinations.leave_out(site) do |file|
        next nil if file.is_a?(Jekyll::Document)

        path = Destinations.target(site, file)
        if posts.key?(path)
          "it would be written where the post #{posts[path]} goes"
        elsif file.is_a?(Jekyll::Page) && statics.key?(path)
          "it would be written where the static file #{statics[path].relative_path.delete_prefix("/")} goes"
        end
      end
    end

    def take(path, taken, folders)
      taken[path] = true
      Destinations.folders_of(path).each { |folder| folders[folder] = true }
    end

    # Whether the post would be written where a file is, or is meant, or where one needs a folder.
    def collides?(site, post, taken, folders)
      path = Destinations.target(site, post)
      taken.key?(path) || folders.key?(path) || Destinations.folders_of(path).any? { |folder| taken.key?(folder) } ||
        (post.data["permalink"] && RESERVED.match?(path))
    end
  end

  module Destinations
    NAME_MAX = 255 # bytes of a file name (Linux and most file systems)
    PATH_MAX = 4095 # bytes of a whole path
    CONTROL = %r![\x00-\x1f\x7f]!n.freeze

    module_function

    # The file a page, static file or post is written to, relative to the site folder.
    def target(site, file)
      file.destination(site.dest).delete_prefix(site.dest).delete_prefix("/")
    end

    # Takes out of the site every page, static file and document to be written for which the block
    # gives a reason, with a warning naming it.
    def leave_out(site)
      [site.pages, site.static_files, *site.collections.values.map(&:docs)].each do |files|
        files.reject! do |file|
          reason = file.write? && yield(file)
          Jekyll.logger.warn "finews:", "#{shown(name(file), cut: false)}: left out, #{reason}" if reason
          reason
        end
      end
    end

    def leave_out_unwritable(site)
      leave_out(site) do |file|
        path = target(site, file)
        where = "it would be written to #{shown(path)}"
        if CONTROL.match?(path.b)
          "#{where}, which holds a control character"
        elsif path.b.split("/").any? { |part| part.bytesize > NAME_MAX }
          "#{where}, a name longer than #{NAME_MAX} bytes"
        elsif File.join(site.dest, path).bytesize > PATH_MAX
          "#{where}, a path longer than #{PATH_MAX} bytes"
        end
      rescue StandardError => e # Jekyll cannot make a path of its URL (a NUL, bytes no text is, `permalink: /:nokey/`, a list)
        permalink = file.data["permalink"]
        "its URL is no file name#{" (permalink: #{shown(permalink)})" if permalink.is_a?(String)}: #{e.message}"
      end
    end

    # A file is never written where another one needs a folder: it is left out, the folder's files stay.
    def leave_out_in_the_way(site)
      needed = {}
      Update.files_elsewhere(site).each { |path| folders_of(path).each { |folder| needed[folder] ||= path } }
      [site.pages, site.static_files, *site.collections.values.map(&:docs)].each do |files|
        files.each do |file|
          next unless file.write?

          path = target(site, file)
          folders_of(path).each { |folder| needed[folder] ||= path }
        end
      end
      leave_out(site) do |file|
        path = target(site, file)
        "it would be written to #{shown(path)}, the folder of #{shown(needed[path])}" if needed.key?(path)
      end
    end

    # Jekyll's cleaner removes a file of an earlier build where this one needs a folder, not a folder
    # where this one writes a file (writing it then stops the build: Errno::EISDIR). Such a folder
    # holds no file of this build (leave_out_in_the_way), so the cleaner would empty it: it goes first.
    def clear_old_folders(site)
      [site.pages, site.static_files_to_write, site.docs_to_write].each do |files|
        files.each do |file|
          path = file.destination(site.dest)
          next unless File.directory?(path) && !File.symlink?(path)
          next if site.keep_files.any? { |kept| target(site, file).start_with?(kept) }

          FileUtils.rm_r(path)
        end
      end
    end

    # "a/b/c.html" => ["a", "a/b"]
    def folders_of(path)
      parts = path.split("/")
      (1...parts.size).map { |count| parts.first(count).join("/") }
    end

    # Posts by their path (the build names the archive's file), the rest as Jekyll names them.
    def name(file)
      file.is_a?(Jekyll::Document) ? file.path : file.relative_path.delete_prefix("/")
    end

    # A path on one line of a warning: control characters and bytes no text is shown escaped; a long
    # one cut short (not a file's name: the build says which file of the archive a staged path is).
    def shown(text, cut: true)
      text = text.to_s
      text = text.scrub.inspect if !text.valid_encoding? || CONTROL.match?(text.b)
      cut && text.length > 120 ? "#{text[0, 100]}...#{text[-16..]}" : text
    end
  end
end

# The list pages finews_lists.rb made after the generator above: the same checks, before rendering.
Jekyll::Hooks.register :site, :pre_render do |site|
  Finews::Destinations.leave_out_unwritable(site)
  Finews::Destinations.leave_out_in_the_way(site)
end

Jekyll::Hooks.register :site, :post_render do |site| # just before the cleaner and the writing
  Finews::Destinations.clear_old_folders(site)
end
