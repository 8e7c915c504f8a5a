/// @file results.hpp
/// @brief What a chapter program leaves behind: `summary.json`, `metrics.jsonl` and
/// other JSON files, written so that a crash never leaves half a file.
#pragma once

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace dl::app {

/// A JSON value (nlohmann/json) whose objects keep the order their members were added
/// in, so summary.json reads in the order the program wrote it.
using Json = nlohmann::ordered_json;

/// `x` as the double that prints as x's shortest decimal form: a flag's 0.001f is
/// written as 0.001, not as the double 0.0010000000474974513 that the float holds.
double json_float(float x);

/// Writes `value` as JSON plus a newline to `path`, atomically (see
/// `dl::write_file_atomically`), creating missing parent directories. `indent` 2 is
/// pretty, -1 one line. Invalid UTF-8 in strings is replaced, never an exception.
void write_json_file(const std::string& path, const Json& value, int indent = 2);

/// Reads and parses the JSON file at `path`. Throws `dl::FileError` naming the path, and
/// for a syntax error the byte offset, when the file cannot be read or is not JSON.
Json read_json_file(const std::string& path);

/// The summary.json of a run: `{"chapter": chapter, <results>, <settings>, "build": build_info()}`.
/// `results` holds what the run measured (accuracy, loss, time), `settings` what it was
/// asked to do (flags, sizes); both must be objects. The website reads it to show the
/// chapter's numbers and its "verified with" line.
Json make_summary(const std::string& chapter, const Json& results, const Json& settings);

/// Appends one JSON object per line to a `metrics.jsonl` file (the JSON Lines format),
/// which plotting scripts and the docs build read. Each line is flushed at once, so a
/// run that is interrupted still leaves every record it logged.
class MetricsWriter {
 public:
  /// Creates (or truncates) the file at `path`, creating missing parent directories.
  /// Throws `dl::FileError` when it cannot.
  explicit MetricsWriter(const std::string& path);
  /// Writes `record` (which must be an object) as one compact line and flushes it.
  /// Throws `dl::Error` for a non-object and `dl::FileError` when the write fails.
  void write(const Json& record);
  /// The file being written.
  const std::string& path() const { return path_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const;
  };
  std::string path_;
  std::unique_ptr<std::FILE, Closer> file_;
};

}  // namespace dl::app
