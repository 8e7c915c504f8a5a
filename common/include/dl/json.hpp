/// @file json.hpp
/// @brief `dl::Json`: a small JSON value for checkpoint headers, metrics and summaries.
///
/// The library needs JSON in three places: the header of a safetensors checkpoint,
/// the `metrics.jsonl` lines a chapter program logs, and its `summary.json`. A full
/// JSON library would be one more dependency for a learner to install, so this is
/// the smallest value type that covers them: null, bool, number (a double), string,
/// array, and object. Objects keep their members in insertion order, so a file we
/// write reads in the order the code wrote it, and a header we load is seen in the
/// order it was stored.
///
/// ```cpp
/// dl::Json rec = dl::Json::object();
/// rec["step"] = 100;
/// rec["loss"] = 0.25;
/// std::string line = rec.dump();            // {"step":100,"loss":0.25}
/// dl::Json back = dl::Json::parse(line);    // throws dl::JsonError on bad input
/// ```
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// Thrown by `Json::parse` for malformed text; `offset()` is the byte where reading stopped.
///
/// The message reads like `json: expected ',' or '}' at byte 17, found 'x'`.
class JsonError : public Error {
 public:
  /// A parse error at byte `offset` of the input.
  JsonError(const std::string& message, size_t offset) : Error(message), offset_(offset) {}
  /// Byte offset (from 0) of the input where the error was found.
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

/// A JSON value: null, bool, number, string, array or object (members in insertion order).
///
/// Numbers are stored as `double`, like JavaScript does, so integers are exact up to
/// 2^53; that covers every byte offset and step count the library writes.
/// Accessors check the type and throw `dl::Error` on a mismatch instead of guessing.
class Json {
 public:
  /// The kind of value a `Json` holds.
  enum class Type { null, boolean, number, string, array, object };
  /// The elements of an array.
  using Array = std::vector<Json>;
  /// One member of an object: key and value.
  using Member = std::pair<std::string, Json>;
  /// The members of an object, in insertion order (a vector, because objects here are small).
  using Object = std::vector<Member>;

  /// The deepest nesting of arrays and objects `parse` accepts; deeper input is rejected
  /// so that a hostile file cannot exhaust the stack of the recursive parser.
  static constexpr int kMaxDepth = 64;

  /// @name Construction
  /// @{

  /// A null value.
  Json() = default;
  /// A null value (`Json(nullptr)`).
  Json(std::nullptr_t) {}
  /// A bool.
  Json(bool value) : value_(value) {}
  /// A number from any integer type (int, int64_t, size_t, ...); exact up to 2^53 in magnitude.
  template <std::integral I>
  requires(!std::same_as<I, bool>) Json(I value) : value_(static_cast<double>(value)) {}
  /// A number.
  Json(double value) : value_(value) {}
  /// A number: the double nearest the float's shortest decimal form, so 0.1f dumps as 0.1.
  Json(float value);
  /// A string (UTF-8).
  Json(const char* value) : value_(std::string(value)) {}
  /// A string (UTF-8).
  Json(std::string value) : value_(std::move(value)) {}
  /// A string (UTF-8).
  Json(std::string_view value) : value_(std::string(value)) {}
  /// An empty array, to be filled with `push_back`.
  static Json array();
  /// An array holding `elements`.
  static Json array(Array elements);
  /// An empty object, to be filled with `operator[]`.
  static Json object();
  /// An object holding `members` in the given order. Keys are expected to be unique
  /// (not checked here); `find` and `at` return the first match.
  static Json object(Object members);
  /// @}

  /// @name Type queries
  /// @{

  /// The kind of value held.
  Type type() const { return static_cast<Type>(value_.index()); }
  /// The kind of value as a word for messages: "null", "bool", "number", "string", "array", "object".
  const char* type_name() const;
  /// True for null.
  bool is_null() const { return type() == Type::null; }
  /// True for true and false.
  bool is_bool() const { return type() == Type::boolean; }
  /// True for a number.
  bool is_number() const { return type() == Type::number; }
  /// True for a number with no fractional part that an int64_t holds exactly (|x| <= 2^53).
  bool is_integer() const;
  /// True for a string.
  bool is_string() const { return type() == Type::string; }
  /// True for an array.
  bool is_array() const { return type() == Type::array; }
  /// True for an object.
  bool is_object() const { return type() == Type::object; }
  /// @}

  /// @name Reading values (each throws dl::Error when the type differs)
  /// @{

  /// The bool held.
  bool as_bool() const;
  /// The number held.
  double as_number() const;
  /// The number held, which must be an integer (see `is_integer`).
  int64_t as_int64() const;
  /// The string held.
  const std::string& as_string() const;
  /// The elements of an array.
  const Array& elements() const;
  /// The members of an object, in insertion order: `for (const auto& [key, value] : j.items())`.
  const Object& items() const;
  /// Number of elements of an array or members of an object.
  size_t size() const;
  /// True when an object has a member named `key` (false for non-objects).
  bool contains(std::string_view key) const;
  /// The member named `key`, or nullptr when there is none (or this is not an object).
  const Json* find(std::string_view key) const;
  /// The member named `key` of an object; throws dl::Error naming the key when it is missing.
  const Json& at(std::string_view key) const;
  /// Element `index` of an array; throws dl::Error when out of range.
  const Json& at(size_t index) const;
  /// Element `index` of an array, bounds-checked like `at`.
  const Json& operator[](size_t index) const { return at(index); }
  /// @}

  /// @name Building values
  /// @{

  /// The member named `key`, inserted as null at the end when missing. A null value
  /// turns into an empty object first, so `Json j; j["a"] = 1;` works.
  Json& operator[](const std::string& key);
  /// Appends an element to an array. A null value turns into an empty array first.
  void push_back(Json value);
  /// @}

  /// The text of this value. With `indent < 0` (the default): compact, on one line,
  /// as for a JSON-lines file. With `indent >= 0`: members on their own lines, indented
  /// by that many spaces per level. Integers print without a decimal point, other
  /// numbers with the fewest digits that read back to the same double, and NaN or
  /// infinity as null (JSON has no spelling for them).
  std::string dump(int indent = -1) const;

  /// Parses one JSON value (RFC 8259) surrounded by optional whitespace.
  /// Strict: no comments, no trailing commas, no duplicate keys, strings must be valid
  /// UTF-8, nesting at most `kMaxDepth`. Throws `JsonError` with the byte offset.
  /// Safe on arbitrary bytes.
  static Json parse(std::string_view text);

  /// Deep equality: same type and value; objects compare members in order.
  friend bool operator==(const Json& a, const Json& b);

 private:
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> value_;
};

}  // namespace dl
