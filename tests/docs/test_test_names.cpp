// ctest learns test names from Catch2 through CMake, where ';' separates list
// items and '[' ']' ',' '\' have meanings of their own: a TEST_CASE named with one
// of them is silently merged with others or never run. Keep every name plain.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

TEST_CASE("test names: no TEST_CASE name holds a character that breaks ctest discovery", "[docs]") {
  const std::regex test_case(R"re(TEST_CASE\(\s*"((?:[^"\\]|\\.)*)")re");
  size_t names = 0;
  for (const char* folder : {"tests", "chapters"})
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(DL_SOURCE_DIR) / folder)) {
      if (entry.path().extension() != ".cpp") continue;
      std::ifstream in(entry.path());
      std::ostringstream text;
      text << in.rdbuf();
      const std::string source = text.str();
      for (auto it = std::sregex_iterator(source.begin(), source.end(), test_case); it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1].str();
        INFO(entry.path().filename().string() << ": \"" << name << "\"");
        CHECK(name.find_first_of(";[]\\") == std::string::npos);
        ++names;
      }
    }
  CHECK(names > 100);
}
