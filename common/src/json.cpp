// dl::Json: value access, the writer (dump) and a strict recursive-descent parser.
#include "dl/json.hpp"

#include "dl/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <unordered_set>

namespace dl {

// A float becomes the double nearest its shortest decimal form, so 0.001f is
// written as 0.001 and not as 0.0010000000474974513.
Json::Json(float value) : value_(static_cast<double>(value)) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  if (ec == std::errc() && std::isfinite(value)) value_ = std::strtod(std::string(text, end).c_str(), nullptr);
}


// ---- construction and access ----------------------------------------------

Json Json::array() { return array(Array{}); }

Json Json::array(Array elements) {
  Json j;
  j.value_ = std::move(elements);
  return j;
}

Json Json::object() { return object(Object{}); }

Json Json::object(Object members) {
  Json j;
  j.value_ = std::move(members);
  return j;
}

const char* Json::type_name() const {
  switch (type()) {
    case Type::null:
      return "null";
    case Type::boolean:
      return "bool";
    case Type::number:
      return "number";
    case Type::string:
      return "string";
    case Type::array:
      return "array";
    case Type::object:
      return "object";
  }
  return "unknown";
}

namespace {

// 2^53: beyond it a double no longer holds every integer, so "is an integer" stops meaning "exact".
constexpr double kMaxExactInteger = 9007199254740992.0;

[[noreturn]] void wrong_type(const Json& j, const char* wanted) {
  throw Error(std::string("json: expected ") + wanted + ", got " + j.type_name());
}

}  // namespace

bool Json::is_integer() const {
  if (!is_number()) return false;
  const double x = std::get<double>(value_);
  return std::isfinite(x) && std::trunc(x) == x && std::fabs(x) <= kMaxExactInteger;
}

bool Json::as_bool() const {
  if (!is_bool()) wrong_type(*this, "a bool");
  return std::get<bool>(value_);
}

double Json::as_number() const {
  if (!is_number()) wrong_type(*this, "a number");
  return std::get<double>(value_);
}

int64_t Json::as_int64() const {
  if (!is_number()) wrong_type(*this, "an integer");
  if (!is_integer())
    throw Error("json: expected an integer, got " + Json(as_number()).dump() + " (fractional, or beyond 2^53)");
  return static_cast<int64_t>(std::get<double>(value_));
}

const std::string& Json::as_string() const {
  if (!is_string()) wrong_type(*this, "a string");
  return std::get<std::string>(value_);
}

const Json::Array& Json::elements() const {
  if (!is_array()) wrong_type(*this, "an array");
  return std::get<Array>(value_);
}

const Json::Object& Json::items() const {
  if (!is_object()) wrong_type(*this, "an object");
  return std::get<Object>(value_);
}

size_t Json::size() const {
  if (is_array()) return std::get<Array>(value_).size();
  if (is_object()) return std::get<Object>(value_).size();
  wrong_type(*this, "an array or an object");
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<Object>(value_))
    if (k == key) return &v;
  return nullptr;
}

bool Json::contains(std::string_view key) const { return find(key) != nullptr; }

const Json& Json::at(std::string_view key) const {
  if (!is_object()) wrong_type(*this, "an object");
  if (const Json* v = find(key)) return *v;
  throw Error("json: object has no member \"" + std::string(key) + "\"; check contains() first if it is optional");
}

const Json& Json::at(size_t index) const {
  const Array& a = elements();
  if (index >= a.size())
    throw Error("json: index " + std::to_string(index) + " out of range for an array of " + std::to_string(a.size()) +
                " elements");
  return a[index];
}

Json& Json::operator[](const std::string& key) {
  if (is_null()) value_ = Object{};
  if (!is_object()) wrong_type(*this, "an object (or null) for operator[](key)");
  Object& members = std::get<Object>(value_);
  for (auto& [k, v] : members)
    if (k == key) return v;
  members.emplace_back(key, Json());
  return members.back().second;
}

void Json::push_back(Json value) {
  if (is_null()) value_ = Array{};
  if (!is_array()) wrong_type(*this, "an array (or null) for push_back");
  std::get<Array>(value_).push_back(std::move(value));
}

bool operator==(const Json& a, const Json& b) { return a.value_ == b.value_; }

// ---- writer ---------------------------------------------------------------

namespace {

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20) {
          // The other control characters have no short escape; JSON requires \u00XX for them.
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(byte));
          out += buf;
        } else {
          out += c;  // UTF-8 sequences pass through unchanged: JSON text is UTF-8 anyway
        }
    }
  }
  out += '"';
}

void dump_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";  // JSON cannot spell NaN or infinity; null is what JavaScript's JSON.stringify writes
    return;
  }
  char buf[32];
  // Integers as integers, even large ones: readers that want an integer (a safetensors
  // offset parsed as usize) refuse "1e+06", which the shortest form would give.
  if (std::trunc(x) == x && std::fabs(x) < 1e18) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(x));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest text that reads back to the same double (e.g. 0.1, not 0.10000000000000001).
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, r.ptr);
}

void dump_value(std::string& out, const Json& j, int indent, int depth) {
  const auto newline = [&](int level) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
  };
  switch (j.type()) {
    case Json::Type::null:
      out += "null";
      break;
    case Json::Type::boolean:
      out += j.as_bool() ? "true" : "false";
      break;
    case Json::Type::number:
      dump_number(out, j.as_number());
      break;
    case Json::Type::string:
      dump_string(out, j.as_string());
      break;
    case Json::Type::array: {
      const Json::Array& a = j.elements();
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        dump_value(out, a[i], indent, depth + 1);
      }
      if (!a.empty()) newline(depth);
      out += ']';
      break;
    }
    case Json::Type::object: {
      const Json::Object& o = j.items();
      out += '{';
      for (size_t i = 0; i < o.size(); ++i) {
        if (i) out += ',';
        newline(depth + 1);
        dump_string(out, o[i].first);
        out += indent < 0 ? ":" : ": ";
        dump_value(out, o[i].second, indent, depth + 1);
      }
      if (!o.empty()) newline(depth);
      out += '}';
      break;
    }
  }
}

}  // namespace

std::string Json::dump(int indent) const {
  std::string out;
  dump_value(out, *this, indent, 0);
  return out;
}

// ---- parser ---------------------------------------------------------------

namespace {

// Reads one value from `text`. Every access goes through peek()/at_end(), which check
// the position against the size, so no input can make it read past the end.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Json parse_document() {
    skip_whitespace();
    Json value = parse_value(0);
    skip_whitespace();
    if (!at_end()) fail("unexpected " + describe_here() + " after the value (expected end of input)");
    return value;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;

  bool at_end() const { return pos_ >= text_.size(); }
  unsigned char peek() const { return at_end() ? 0 : static_cast<unsigned char>(text_[pos_]); }

  // What sits at the current position, for messages: 'x', a hex byte, or end of input.
  std::string describe_here() const {
    if (at_end()) return "end of input";
    const unsigned char c = peek();
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", static_cast<unsigned>(c));
    return buf;
  }

  // Messages read "json: <what> at byte N[, found X]" so a user can find the spot in an editor.
  [[noreturn]] void fail(const std::string& what) const { fail_at(what, pos_); }
  [[noreturn]] static void fail_at(const std::string& what, size_t offset, const std::string& found = "") {
    throw JsonError("json: " + what + " at byte " + std::to_string(offset) + (found.empty() ? "" : ", found " + found),
                    offset);
  }
  [[noreturn]] void expected(const char* what) const {
    fail_at(std::string("expected ") + what, pos_, describe_here());
  }

  void skip_whitespace() {
    while (!at_end()) {
      const unsigned char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  Json parse_value(int depth) {
    switch (peek()) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return Json(parse_string());
      case 't':
        expect_literal("true");
        return Json(true);
      case 'f':
        expect_literal("false");
        return Json(false);
      case 'n':
        expect_literal("null");
        return Json();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return Json(parse_number());
        expected("a value (object, array, string, number, true, false or null)");
    }
  }

  void expect_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) fail("invalid literal (expected '" + std::string(word) + "')");
    pos_ += word.size();
  }

  void check_depth(int depth) const {
    if (depth > Json::kMaxDepth)
      fail("nesting deeper than " + std::to_string(Json::kMaxDepth) + " arrays/objects (expected a flatter document)");
  }

  Json parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    Json::Array elements;
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return Json::array(std::move(elements));
    }
    for (;;) {
      skip_whitespace();
      elements.push_back(parse_value(depth));
      skip_whitespace();
      if (at_end()) expected("',' or ']'");
      const unsigned char c = peek();
      ++pos_;
      if (c == ']') break;
      if (c != ',') {
        --pos_;
        expected("',' or ']'");
      }
    }
    return Json::array(std::move(elements));
  }

  Json parse_object(int depth) {
    check_depth(depth);
    ++pos_;  // '{'
    Json::Object members;
    // Duplicate keys are legal in RFC 8259 but readers disagree on which one wins;
    // for a checkpoint header that ambiguity is a corruption, so we refuse it.
    std::unordered_set<std::string> seen;
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return Json::object();
    }
    for (;;) {
      skip_whitespace();
      if (peek() != '"') expected("a string key");
      const size_t key_offset = pos_;
      std::string key = parse_string();
      if (!seen.insert(key).second) fail_at("duplicate key \"" + key + "\" (expected each key once)", key_offset);
      skip_whitespace();
      if (peek() != ':') expected("':'");
      ++pos_;
      skip_whitespace();
      Json value = parse_value(depth);
      members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (at_end()) expected("',' or '}'");
      const unsigned char c = peek();
      if (c == '}') {
        ++pos_;
        break;
      }
      if (c != ',') expected("',' or '}'");
      ++pos_;
    }
    return Json::object(std::move(members));
  }

  // Four hex digits of a \u escape.
  uint32_t parse_hex4() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (at_end()) expected("4 hex digits after \\u");
      const unsigned char c = peek();
      uint32_t d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        expected("4 hex digits after \\u");
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  // Copies one UTF-8 encoded character starting at pos_, rejecting malformed, overlong
  // and surrogate encodings, so everything the parser accepts dumps back as valid JSON.
  void copy_utf8_char(std::string& out) {
    const size_t start = pos_;
    const unsigned char lead = peek();
    size_t extra = 0;     // continuation bytes that follow the lead byte
    uint32_t cp = 0;      // the code point being assembled
    uint32_t lowest = 0;  // smallest code point this length may encode (smaller is overlong)
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1, cp = lead & 0x1Fu, lowest = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2, cp = lead & 0x0Fu, lowest = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3, cp = lead & 0x07u, lowest = 0x10000;
    } else {
      fail("invalid UTF-8 lead byte in string (expected UTF-8 text)");
    }
    for (size_t i = 1; i <= extra; ++i) {
      if (start + i >= text_.size()) fail_at("truncated UTF-8 sequence in string (expected UTF-8 text)", start);
      const auto c = static_cast<unsigned char>(text_[start + i]);
      if ((c & 0xC0) != 0x80) fail_at("invalid UTF-8 continuation byte in string (expected UTF-8 text)", start);
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (cp < lowest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      fail_at("invalid UTF-8 sequence in string (overlong, surrogate or beyond U+10FFFF)", start);
    out.append(text_.substr(start, extra + 1));
    pos_ = start + extra + 1;
  }

  std::string parse_string() {
    const size_t open = pos_;
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (at_end()) fail_at("unterminated string (expected a closing '\"')", open);
      const unsigned char c = peek();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("raw control character in string (expected it escaped, e.g. \\n)");
      if (c >= 0x80) {
        copy_utf8_char(out);
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      const size_t escape = pos_;
      ++pos_;
      if (at_end()) fail_at("unterminated string (expected a closing '\"')", open);
      const unsigned char e = peek();
      ++pos_;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = parse_hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at("unpaired low surrogate in \\u escape", escape);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // Characters beyond the BMP arrive as a surrogate pair: \uD83D\uDE00.
            if (text_.substr(pos_, 2) != "\\u") fail_at("high surrogate not followed by a \\u low surrogate", escape);
            pos_ += 2;
            const uint32_t low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail_at("high surrogate not followed by a low surrogate", escape);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, static_cast<char32_t>(cp));
          break;
        }
        default:
          fail_at("invalid escape in string (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)", escape);
      }
    }
  }

  // Rough base-10 exponent of a well-formed number that from_chars found out of range:
  // only its sign matters (overflow versus underflow), so the exponent is clamped.
  static int64_t decimal_exponent(std::string_view t) {
    const size_t e = t.find_first_of("eE");
    const std::string_view mantissa = t.substr(0, e);
    int64_t exponent = 0;
    if (e != std::string_view::npos) {
      size_t i = e + 1;
      const bool negative = i < t.size() && t[i] == '-';
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
      for (; i < t.size(); ++i) exponent = std::min<int64_t>(exponent * 10 + (t[i] - '0'), 1'000'000'000);
      if (negative) exponent = -exponent;
    }
    // Position of the first non-zero digit relative to the decimal point.
    const size_t point = std::min(mantissa.find('.'), mantissa.size());
    for (size_t i = 0; i < mantissa.size(); ++i) {
      if (mantissa[i] < '1' || mantissa[i] > '9') continue;
      const int64_t place = i < point ? static_cast<int64_t>(point - i) - 1 : -static_cast<int64_t>(i - point);
      return exponent + place;
    }
    return -1;  // all zeros: zero underflows nowhere, treat it as tiny
  }

  // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  double parse_number() {
    const size_t start = pos_;
    const auto digit = [&] { return !at_end() && peek() >= '0' && peek() <= '9'; };
    if (peek() == '-') ++pos_;
    if (!digit()) expected("a digit");
    if (peek() == '0') {
      ++pos_;
      if (digit()) fail("leading zero in number (expected '0' alone or a digit 1-9 first)");
    } else {
      while (digit()) ++pos_;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (!digit()) expected("a digit after '.'");
      while (digit()) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digit()) expected("a digit in the exponent");
      while (digit()) ++pos_;
    }
    double value = 0.0;
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) {
      // Tiny magnitudes (1e-400) round to zero harmlessly; huge ones (1e400) have no double.
      if (decimal_exponent(std::string_view(first, static_cast<size_t>(last - first))) > 0)
        fail_at("number out of range of a double (expected a magnitude below 1.8e308)", start);
      return *first == '-' ? -0.0 : 0.0;
    }
    if (ec != std::errc() || ptr != last) fail_at("malformed number", start);
    return value;
  }
};

}  // namespace

Json Json::parse(std::string_view text) { return Parser(text).parse_document(); }

}  // namespace dl
