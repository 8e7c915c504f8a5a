// The courses page (docs/learning-path.md) stays in step with the book: every written
// chapter has a section on it, every link leaves only for https (or stays inside the
// site), and no course is listed without a link to its own page.
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using test::read_text;

const fs::path kPage = fs::path(DL_SOURCE_DIR) / "docs" / "learning-path.md";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

struct Item {
  std::string text;     // the "- " line and its indented continuation lines
  std::string section;  // the "## " heading it stands under
};

// A list item runs from its "- " line to the next line that is not indented.
std::vector<Item> list_items(const std::vector<std::string>& lines) {
  std::vector<Item> items;
  std::string section;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (starts_with(lines[i], "## ")) section = lines[i];
    if (!starts_with(lines[i], "- ")) continue;
    std::string text = lines[i];
    for (size_t j = i + 1; j < lines.size() && starts_with(lines[j], "  "); ++j) text += "\n" + lines[j];
    items.push_back({text, section});
  }
  return items;
}

}  // namespace

TEST_CASE("learning path: every written chapter has a section on the courses page", "[docs]") {
  const auto lines = lines_of(read_text(kPage));
  size_t chapters = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(DL_SOURCE_DIR) / "chapters")) {
    if (!entry.is_directory() || !fs::exists(entry.path() / "lesson.md")) continue;
    const std::string name = entry.path().filename().string();  // 03-rnn
    const std::string number = name.substr(0, 2);
    ++chapters;
    INFO(name << ": expected a label (path-" << number << ")= right above a heading '## " << number
              << " · ...' that links the lesson");
    bool found = false;
    for (size_t i = 0; i + 1 < lines.size(); ++i)
      if (lines[i] == "(path-" + number + ")=" && starts_with(lines[i + 1], "## " + number + " ")) {
        found = true;
        // The section points at the lesson it accompanies.
        bool links_lesson = false;
        for (size_t j = i + 2; j < lines.size() && !starts_with(lines[j], "## "); ++j)
          links_lesson |= lines[j].find("{doc}`/chapters/" + name + "/lesson`") != std::string::npos;
        CHECK(links_lesson);
      }
    CHECK(found);
  }
  CHECK(chapters >= 6);
}

TEST_CASE("learning path: every link is https or an internal reference", "[docs]") {
  const std::string text = read_text(kPage);
  // Markdown links [text](target) and autolinks <scheme:...>.
  const std::regex link(R"(\]\(([^)\s]*)\))");
  const std::regex autolink(R"(<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>)");
  const std::regex scheme(R"(^[a-zA-Z][a-zA-Z0-9+.-]*:)");
  size_t external = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), link); it != std::sregex_iterator(); ++it) {
    const std::string target = (*it)[1].str();
    INFO("link target: " << target);
    CHECK(!target.empty());
    if (std::regex_search(target, scheme)) {
      CHECK(starts_with(target, "https://"));
      ++external;
    }
  }
  for (auto it = std::sregex_iterator(text.begin(), text.end(), autolink); it != std::sregex_iterator(); ++it) {
    INFO("autolink: " << (*it)[1].str());
    CHECK(starts_with((*it)[1].str(), "https://"));
  }
  // No plain-http address anywhere, linked or not.
  CHECK(text.find("http://") == std::string::npos);
  CHECK(external >= 10);
}

TEST_CASE("learning path: no course is listed without a link", "[docs]") {
  const auto lines = lines_of(read_text(kPage));

  // A course entry is a list item of a chapter section ("## 03 · ...") that starts with the
  // course's name in bold; it must link the course's own page.
  std::vector<std::string> names;
  for (const auto& item : list_items(lines)) {
    const bool chapter_section = item.section.size() > 5 && std::isdigit(static_cast<unsigned char>(item.section[3]));
    if (!chapter_section || !starts_with(item.text, "- **")) continue;
    const size_t end = item.text.find("**", 4);
    REQUIRE(end != std::string::npos);
    const std::string name = item.text.substr(4, end - 4);
    INFO(item.section << ": course entry '" << name << "'");
    CHECK(item.text.find("](https://") != std::string::npos);
    names.push_back(name.substr(0, name.find(',')));  // "Stanford CS231n, Convolutional ..." -> "Stanford CS231n"
  }
  CHECK(names.size() >= 15);

  // The table "The courses at a glance": every row links the course's page, and every course
  // named in bold in a chapter section appears in it.
  std::vector<std::string> rows;
  bool in_table_section = false;
  for (const auto& line : lines) {
    if (starts_with(line, "## ")) in_table_section = line == "## The courses at a glance";
    if (!in_table_section || !starts_with(line, "| ") || starts_with(line, "| course ") ||
        starts_with(line, "|---"))
      continue;
    rows.push_back(line);
  }
  REQUIRE(rows.size() >= 8);
  for (const auto& row : rows) {
    INFO("table row: " << row);
    CHECK(row.find("](https://") != std::string::npos);
  }
  for (const auto& name : names) {
    INFO("course '" << name << "' is named in a chapter section but has no row in 'The courses at a glance'");
    bool listed = false;
    for (const auto& row : rows) listed |= starts_with(row, "| " + name);
    CHECK(listed);
  }
}
