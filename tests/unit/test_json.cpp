// dl::Json: building, dumping, and the strict parser's behaviour on good and bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "dl/json.hpp"

using Catch::Matchers::Contains;
using dl::Json;

namespace {

// The JsonError that parsing `text` throws; fails the test when it parses.
dl::JsonError parse_error(const std::string& text) {
  try {
    Json::parse(text);
  } catch (const dl::JsonError& e) {
    return e;
  }
  FAIL("parsed without error: " << text);
  throw std::logic_error("unreachable");
}

Json sample_document() {
  Json doc = Json::object();
  doc["name"] = "mlp";
  doc["layers"] = Json::array({Json(784), Json(128), Json(10)});
  doc["lr"] = 0.001;
  doc["full"] = false;
  doc["note"] = nullptr;
  Json inner = Json::object();
  inner["deep"] = Json::array({Json::object(), Json::array(), Json("x"), Json(-2.5)});
  doc["inner"] = inner;
  return doc;
}

}  // namespace

TEST_CASE("json: nested values survive dump and parse", "[json]") {
  const Json doc = sample_document();
  const std::string text = doc.dump();
  CHECK(text == R"({"name":"mlp","layers":[784,128,10],"lr":0.001,"full":false,"note":null,)"
                R"("inner":{"deep":[{},[],"x",-2.5]}})");
  CHECK(Json::parse(text) == doc);
  CHECK(Json::parse(doc.dump(2)) == doc);
  // Whitespace is allowed around every token.
  Json expected_object = Json::object();
  expected_object["a"] = Json::array();
  CHECK(Json::parse(" \t\r\n[ 1 , {\"a\" : [ ] } ]\n") == Json::array({Json(1), expected_object}));
}

TEST_CASE("json: pretty dump indents members on their own lines", "[json]") {
  Json doc = Json::object();
  doc["a"] = Json::array({Json(1), Json(2)});
  doc["b"] = Json::object();
  CHECK(doc.dump(2) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
}

TEST_CASE("json: objects keep insertion order", "[json]") {
  Json doc = Json::object();
  doc["zeta"] = 1;
  doc["alpha"] = 2;
  doc["mid"] = 3;
  doc["alpha"] = 4;  // assigning again keeps the original position
  CHECK(doc.dump() == R"({"zeta":1,"alpha":4,"mid":3})");
  const Json back = Json::parse(R"({"b":1,"a":2,"c":3})");
  std::vector<std::string> keys;
  for (const auto& [key, value] : back.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"b", "a", "c"});
}

TEST_CASE("json: dump escapes quotes, backslashes and control characters", "[json]") {
  CHECK(Json("say \"hi\"\\").dump() == R"("say \"hi\"\\")");
  CHECK(Json("a\nb\tc\rd\be\ff").dump() == R"("a\nb\tc\rd\be\ff")");
  CHECK(Json(std::string("nul\0x\x01\x1f", 7)).dump() == R"("nul\u0000x\u0001\u001f")");
  // UTF-8 passes through untouched: JSON text is UTF-8.
  CHECK(Json("卷积 🙂").dump() == "\"卷积 🙂\"");
  for (const std::string& s : {std::string("卷积神经网络"), std::string("q\"\\/\x7f"), std::string("\x01\x02\n", 3)})
    CHECK(Json::parse(Json(s).dump()).as_string() == s);
}

TEST_CASE("json: parse decodes escapes and surrogate pairs", "[json]") {
  CHECK(Json::parse(R"("\u00e9\/\"\\\b\f\n\r\t")").as_string() == "\xc3\xa9/\"\\\b\f\n\r\t");
  CHECK(Json::parse(R"("\u5377")").as_string() == "卷");
  CHECK(Json::parse(R"("\ud83d\ude42")").as_string() == "🙂");
  CHECK(Json::parse(R"("\u0000")").as_string() == std::string(1, '\0'));
}

TEST_CASE("json: integers print without a decimal point and doubles round-trip exactly", "[json]") {
  CHECK(Json(3).dump() == "3");
  CHECK(Json(-7).dump() == "-7");
  CHECK(Json(1000000).dump() == "1000000");  // not 1e+06: readers of offsets want integers
  CHECK(Json(int64_t{1} << 40).dump() == "1099511627776");
  CHECK(Json(size_t{4096}).dump() == "4096");
  CHECK(Json(3.0).dump() == "3");
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(-2.5).dump() == "-2.5");
  CHECK(Json(std::nan("")).dump() == "null");
  CHECK(Json(std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(Json(-std::numeric_limits<double>::infinity()).dump() == "null");
  for (double x : {0.1, 1.0 / 3.0, 6.02214076e23, 1e-300, 4.9e-324, 1.7976931348623157e308, -123456.789, 1e18, 1e21}) {
    const double back = Json::parse(Json(x).dump()).as_number();
    CHECK(std::memcmp(&back, &x, sizeof x) == 0);
  }
  CHECK(Json::parse("1e-400").as_number() == 0.0);  // underflow rounds to zero, as in every JSON reader
  CHECK(Json::parse("-0").as_number() == 0.0);
  CHECK(Json::parse("12.5E+1").as_number() == 125.0);
}

TEST_CASE("json: rejects malformed input and reports the byte offset", "[json]") {
  struct Case {
    std::string text;
    size_t offset;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {R"({"a":1 x)", 7, "json: expected ',' or '}' at byte 7, found 'x'"},
      {R"({"a":1}x)", 7, "after the value"},   // trailing garbage
      {R"([1,2] [3])", 6, "after the value"},  // two documents
      {R"("abc)", 0, "unterminated string"},   // reported where the string opened
      {R"({"a":"b)", 5, "unterminated string"},
      {R"({"a" 1})", 5, "expected ':'"},
      {R"({"a":1,})", 7, "expected a string key"},  // trailing comma
      {R"([1 2])", 3, "expected ',' or ']'"},
      {R"([1,])", 3, "expected a value"},
      {"", 0, "expected a value"},
      {"   ", 3, "found end of input"},
      {"01", 1, "leading zero"},
      {"-", 1, "expected a digit"},
      {"1.", 2, "expected a digit after '.'"},
      {"1e+", 3, "exponent"},
      {".5", 0, "expected a value"},
      {"+1", 0, "expected a value"},
      {"1e400", 0, "out of range"},
      {"NaN", 0, "expected a value"},
      {"tru", 0, "invalid literal"},
      {"nulL", 0, "invalid literal"},
      {R"("\x")", 1, "invalid escape"},
      {R"("\u12g4")", 5, "hex digits"},
      {R"("\ud800")", 1, "surrogate"},
      {R"("\udc00")", 1, "surrogate"},
      {"\"a\x01\"", 2, "control character"},
      {"\"\xff\"", 1, "UTF-8"},
      {"\"\xc0\xaf\"", 1, "UTF-8"},      // overlong '/'
      {"\"\xed\xa0\x80\"", 1, "UTF-8"},  // encoded surrogate
      {"\"\xe5\x8d\"", 1, "UTF-8"},      // truncated sequence
      {R"({"a":1,"a":2})", 7, "duplicate key"},
      {R"({1:2})", 1, "expected a string key"},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.text);
    const dl::JsonError e = parse_error(c.text);
    CHECK(e.offset() == c.offset);
    CHECK_THAT(e.what(), Contains(c.fragment));
    CHECK_THAT(e.what(), Contains("at byte " + std::to_string(c.offset)));
  }
}

TEST_CASE("json: nesting deeper than the limit is rejected instead of overflowing the stack", "[json]") {
  const int limit = Json::kMaxDepth;
  const std::string ok = std::string(limit, '[') + std::string(limit, ']');
  CHECK_NOTHROW(Json::parse(ok));
  const std::string too_deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
  const dl::JsonError e = parse_error(too_deep);
  CHECK(e.offset() == static_cast<size_t>(limit));
  CHECK_THAT(e.what(), Contains("nesting deeper"));
  // A nesting bomb: without the limit, a million frames would crash the process.
  CHECK_THROWS_AS(Json::parse(std::string(1'000'000, '[')), dl::JsonError);
  CHECK_THROWS_AS(Json::parse(std::string(1'000'000, '{')), dl::JsonError);
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += "{\"a\":";
  CHECK_THROWS_AS(Json::parse(objects), dl::JsonError);
}

TEST_CASE("json: every prefix of a document either parses or throws JsonError", "[json]") {
  const std::string text = sample_document().dump() + " ";
  for (size_t n = 0; n < text.size(); ++n) {
    INFO("prefix length " << n);
    // Copy into an exact-size buffer so that any read past the end would be caught by ASan.
    const std::vector<char> buffer(text.begin(), text.begin() + static_cast<long>(n));
    try {
      Json::parse(std::string_view(buffer.data(), buffer.size()));
      CHECK(n >= text.size() - 1);  // only the complete document parses
    } catch (const dl::JsonError& e) {
      CHECK(e.offset() <= n);
    }
  }
}

TEST_CASE("json: random byte strings are parsed or rejected, and what parses round-trips", "[json]") {
  // A deterministic mini-fuzz over JSON's own characters, so most inputs get deep into the parser.
  const std::string alphabet = "{}[],:\"\\ 0123456789.eE+-tfnrulase\x01\xc3\xa9\xff";
  std::mt19937 rng(12345);
  int parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 24, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    try {
      const Json j = Json::parse(s);
      ++parsed;
      REQUIRE(Json::parse(j.dump()) == j);
    } catch (const dl::JsonError& e) {
      REQUIRE(e.offset() <= s.size());
    }
  }
  CHECK(parsed > 0);
}

TEST_CASE("json: accessors check the type and name what is missing", "[json]") {
  const Json doc = Json::parse(R"({"n":2.5,"i":42,"s":"x","a":[1,2],"b":true,"z":null})");
  CHECK(doc.is_object());
  CHECK(doc.size() == 6);
  CHECK(doc.at("n").as_number() == 2.5);
  CHECK(doc.at("i").as_int64() == 42);
  CHECK(doc.at("i").is_integer());
  CHECK_FALSE(doc.at("n").is_integer());
  CHECK(doc.at("s").as_string() == "x");
  CHECK(doc.at("a").at(size_t{1}).as_number() == 2);
  CHECK(doc.at("a")[0].as_number() == 1);
  CHECK(doc.at("b").as_bool());
  CHECK(doc.at("z").is_null());
  CHECK(doc.contains("s"));
  CHECK_FALSE(doc.contains("missing"));
  CHECK(doc.find("missing") == nullptr);
  CHECK_THROWS_WITH(doc.at("missing"), Contains("\"missing\""));
  CHECK_THROWS_WITH(doc.at("s").as_number(), Contains("expected a number, got string"));
  CHECK_THROWS_WITH(doc.at("n").as_int64(), Contains("expected an integer"));
  CHECK_THROWS_WITH(doc.at("a").at(size_t{2}), Contains("out of range"));
  CHECK_THROWS_AS(doc.at("n").as_string(), dl::Error);
  CHECK_THROWS_AS(doc.at("a").items(), dl::Error);
  CHECK_THROWS_AS(doc.at("s").size(), dl::Error);

  Json built;  // null becomes an object or array on first use
  built["k"] = 1;
  CHECK(built.is_object());
  Json list;
  list.push_back("a");
  list.push_back(2);
  CHECK(list.dump() == R"(["a",2])");
  CHECK_THROWS_AS(list["key"], dl::Error);
  CHECK_THROWS_AS(built.push_back(1), dl::Error);
}

TEST_CASE("json: a float is written in its shortest decimal form", "[json]") {
  CHECK(dl::Json(0.001f).dump() == "0.001");
  CHECK(dl::Json(0.1f).dump() == "0.1");
  CHECK(dl::Json(3.0f).dump() == "3");
  CHECK(dl::Json(1e-20f).dump() == "1e-20");
  CHECK(dl::Json(std::numeric_limits<float>::infinity()).dump() == "null");
}
