# frozen_string_literal: true

# Jekyll 4.3.0 and 4.3.1 only: Site#each_site_file looks each file up in the list of the files
# written before it (Array#include?, which compares documents), so writing a site costs time
# quadratic in its posts: 10,000 posts take minutes, the archive's size most of an hour.
# Jekyll 4.3.2 fixed it upstream (jekyll/jekyll#9187, backported to 4.3.x in #9256). This
# replaces the method, on those two versions only, with one that remembers the files already
# yielded by identity: the same files, in the same order, once each, in linear time.
# On any other Jekyll version this file does nothing.
if %w(4.3.0 4.3.1).include?(Jekyll::VERSION)
  module Jekyll
    class Site
      def each_site_file
        yielded = {}.compare_by_identity
        %w(pages static_files_to_write docs_to_write).each do |type|
          send(type).each do |item|
            next if yielded.key?(item)

            yielded[item] = true
            yield item
          end
        end
      end
    end
  end
end
