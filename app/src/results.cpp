// What a run writes: JSON files written atomically, metrics lines, and summary.json.
#include "dl/app/results.hpp"

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "dl/app/build_info.hpp"
#include "dl/error.hpp"
#include "dl/io.hpp"

namespace dl::app {

namespace {

std::string errno_text(int err) { return std::system_category().message(err); }

void create_parent_directories(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    throw FileError(path + ": cannot create the directory " + parent.string() + ": " + ec.message() +
                    " (expected a writable location; pass another output folder, e.g. --out)");
}

std::string dump(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

double json_float(float x) {
  // The fewest digits that read back to the same float, read again as a double.
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, x);
  double value = x;
  std::from_chars(text, written.ptr, value);
  return value;
}

void write_json_file(const std::string& path, const Json& value, int indent) {
  create_parent_directories(path);
  write_file_atomically(path, dump(value, indent) + "\n");
}

Json read_json_file(const std::string& path) {
  const std::string text = read_file(path, "a JSON file");
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw FileError(path + ": not valid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
}

Json make_summary(const std::string& chapter, const Json& results, const Json& settings) {
  if (!results.is_object() || !settings.is_object())
    throw Error("make_summary: results and settings must be JSON objects, got " + std::string(results.type_name()) +
                " and " + settings.type_name());
  Json summary = {{"chapter", chapter}};
  for (const auto& [key, value] : results.items()) summary[key] = value;
  for (const auto& [key, value] : settings.items()) summary[key] = value;
  summary["build"] = build_info();  // commit, compiler, Eigen, BLAS, date: the docs' "verified with" line
  return summary;
}

void MetricsWriter::Closer::operator()(std::FILE* f) const { std::fclose(f); }

MetricsWriter::MetricsWriter(const std::string& path) : path_(path) {
  create_parent_directories(path);
  file_.reset(std::fopen(path.c_str(), "w"));
  if (!file_)
    throw FileError(path + ": cannot open for writing: " + errno_text(errno) +
                    " (expected a writable location; pass another output folder, e.g. --out)");
}

void MetricsWriter::write(const Json& record) {
  if (!record.is_object())
    throw Error("MetricsWriter::write: expected a JSON object per line, got " + std::string(record.type_name()) +
                " (build the record as an object, e.g. {{\"step\", 1}, {\"loss\", 0.5}})");
  const std::string line = dump(record, -1) + "\n";
  errno = 0;
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() || std::fflush(file_.get()) != 0)
    throw FileError(path_ + ": cannot append a metrics line: " + errno_text(errno) + " (is the disk full?)");
}

}  // namespace dl::app
