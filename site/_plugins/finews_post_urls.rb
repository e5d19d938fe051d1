# frozen_string_literal: true

# A post's own `permalink:` never replaces a page of the site. Before any other generator (the list
# pages of finews_lists.rb read the posts' URLs), every post whose file would be written where a
# page, a static file (assets/style.css), a list page of finews_lists.rb (sources.html, archive/,
# category/, emnews/), the search index (pagefind/) or another post goes (a post at its usual URL
# keeps it), gets its URL from _config.yml's permalink instead, with a warning naming the post. A
# post whose usual URL collides even so is left out of the site, with a warning.
module Finews
  class PostUrls < Jekyll::Generator
    safe true
    priority :highest

    # Where finews_lists.rb and Pagefind write: no post of its own permalink goes there.
    RESERVED = %r!\A(?:sources\.html\z|archive/|category/|emnews/|pagefind/)!.freeze

    # What Jekyll keeps in the site folder (keep_files) and never writes: git's, Subversion's, the build's mark.
    KEPT = %r!\A(?:\.git|\.svn)(?:/|\z)|\A\.finews-site\z!.freeze

    def generate(site)
      leave_out_kept(site)
      taken = {}
      (site.pages + site.static_files).each { |file| taken[target(site, file)] = true }
      own, usual = site.posts.docs.partition { |post| post.data["permalink"] }
      usual.each { |post| taken[target(site, post)] = true } # a post at its usual URL is never moved
      left_out = own.select do |post|
        if collides?(site, post, taken)
          Jekyll.logger.warn "finews:", "#{post.path}: its permalink #{post.data["permalink"]} " \
                                        "would replace a page of the site; it gets the usual URL"
          post.data.delete("permalink")
          %i(@url @destination @renderer).each { |memo| post.instance_variable_set(memo, nil) }
          if collides?(site, post, taken)
            Jekyll.logger.warn "finews:", "#{post.path}: left out, its URL #{post.url} is a page of the site"
            next true
          end
        end
        taken[target(site, post)] = true
        false
      end
      site.posts.docs.reject! { |post| left_out.include?(post) }
    end

    private

    # No page, post, document or static file is written where the site folder keeps what is not the
    # site's (a page with `permalink: /.git/config` would set a command for the next git run there).
    def leave_out_kept(site)
      lists = [site.pages, site.static_files, *site.collections.values.map(&:docs)]
      lists.each do |files|
        files.reject! do |file|
          next false unless KEPT.match?(target(site, file))

          Jekyll.logger.warn "finews:", "#{file.relative_path}: left out, it would be written to #{target(site, file)}"
          true
        end
      end
    end

    def collides?(site, post, taken)
      path = target(site, post)
      taken.key?(path) || (post.data["permalink"] && RESERVED.match?(path))
    end

    # The file a page, static file or post is written to, relative to the site folder.
    def target(site, file)
      file.destination(site.dest).delete_prefix(site.dest).delete_prefix("/")
    end
  end
end
