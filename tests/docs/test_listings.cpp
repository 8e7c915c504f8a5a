// Docs never drift from code: every listing a lesson pulls in with
// `literalinclude` must name an existing file, and each marker must open and
// close exactly one region of it (it appears exactly twice).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using test::read_text;

size_t count_lines_equal_to(const std::string& text, const std::string& marker) {
  // A marker is a whole line (after indentation), so "// [loop]" does not match "// [loop2]".
  size_t n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line.compare(start, std::string::npos, marker) == 0) ++n;
  }
  return n;
}

struct Listing {
  fs::path lesson, file;
  std::vector<std::string> markers;
};

// `base`: the folder the listing paths are relative to (a lesson's own folder; for the pages
// in docs/, the repository root, which the docs staging folder mirrors: chapters/, common/, tests/).
std::vector<Listing> listings_of(const fs::path& lesson, const fs::path& base) {
  const std::string text = read_text(lesson);
  const std::regex block(R"(```\{literalinclude\}\s+(\S+)\n((?::[^\n]*\n)*))");
  const std::regex option(R"re(:(start-after|end-before):\s*"([^"]*)")re");
  std::vector<Listing> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), block); it != std::sregex_iterator(); ++it) {
    Listing l{lesson, base / (*it)[1].str(), {}};
    const std::string options = (*it)[2].str();
    for (auto o = std::sregex_iterator(options.begin(), options.end(), option); o != std::sregex_iterator(); ++o)
      l.markers.push_back((*o)[2].str());
    out.push_back(l);
  }
  return out;
}

// Checks each literalinclude of `page` (paths relative to `base`): the file exists and holds
// each of its markers on exactly two lines. Returns the number of listings checked.
size_t check_listings(const fs::path& page, const fs::path& base) {
  size_t checked = 0;
  for (const Listing& l : listings_of(page, base)) {
    INFO(l.lesson.string() << " includes " << l.file.string());
    REQUIRE(fs::is_regular_file(l.file));
    const std::string source = read_text(l.file);
    for (const std::string& marker : l.markers) {
      INFO("marker " << marker);
      CHECK(count_lines_equal_to(source, marker) == 2);
    }
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("lessons: every literalinclude names a file and a marker pair that exist", "[docs]") {
  size_t checked = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(DL_SOURCE_DIR) / "chapters")) {
    const fs::path lesson = dir.path() / "lesson.md";
    if (!fs::exists(lesson)) continue;
    INFO("lesson of " << dir.path().filename().string());
    checked += check_listings(lesson, lesson.parent_path());
  }
  CHECK(checked >= 8);  // chapter 01 alone pulls eight listings
}

TEST_CASE("pages: every literalinclude of a docs page names a file and a marker pair that exist", "[docs]") {
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(DL_SOURCE_DIR) / "docs")) {
    if (entry.path().extension() != ".md") continue;
    checked += check_listings(entry.path(), fs::path(DL_SOURCE_DIR));
  }
  CHECK(checked >= 19);  // the tools page alone pulls nineteen listings
}
