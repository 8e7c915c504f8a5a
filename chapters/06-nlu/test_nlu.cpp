#include <catch2/catch.hpp>

#include "bag_of_words.hpp"
#include "glosses.hpp"
#include "report.hpp"

using Catch::Matchers::WithinAbs;

TEST_CASE("supersenses: 26 names in lexicographer-file order, and back", "[ch06]") {
  REQUIRE(ch06::supersense_names()[0] == std::string("noun.Tops"));
  REQUIRE(ch06::supersense_names()[2] == std::string("noun.animal"));
  REQUIRE(ch06::supersense_names()[25] == std::string("noun.time"));
  for (int c = 0; c < ch06::kClasses; ++c) REQUIRE(ch06::supersense_label(ch06::supersense_names()[static_cast<size_t>(c)]) == c);
  REQUIRE(ch06::supersense_label("noun.dog") == -1);
}
