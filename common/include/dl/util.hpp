/// @file util.hpp
/// @brief What every chapter program needs around the math: command-line options,
/// a progress bar, metrics logging, atomic file writes and a timer.
///
/// A chapter program's `main` typically reads:
///
/// ```cpp
/// int epochs = 3;  bool full = false;  std::string out = "build/results/02-cnn";
/// dl::util::ArgParser args("cnn", "Train a small CNN on Fashion-MNIST.");
/// args.add_option("--epochs", &epochs, "passes over the training set");
/// args.add_flag("--full", &full, "train longer for the best accuracy");
/// args.add_option("--out", &out, "folder for metrics.jsonl and summary.json");
/// args.parse(argc, argv);
///
/// dl::util::MetricsWriter metrics(out + "/metrics.jsonl");
/// dl::util::ProgressBar bar("train", steps);
/// for (int64_t step = 1; step <= steps; ++step) {
///   ...
///   bar.update(step, loss.item());
///   dl::Json rec = dl::Json::object();
///   rec["step"] = step;
///   rec["loss"] = loss.item();
///   metrics.write(rec);
/// }
/// bar.finish();
/// dl::util::write_json_file(out + "/summary.json", summary);
/// ```
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dl/json.hpp"
#include "dl/tensor.hpp"

namespace dl::util {

// ---- files ----------------------------------------------------------------

/// Replaces the file at `path` with `bytes` so that readers see either the old file or
/// the complete new one, never a half-written file (a crash mid-save keeps the last
/// good checkpoint). Writes `path + ".tmp." + pid` in the same directory, flushes it to
/// disk (fsync), then renames it over `path`. The directory must exist. On failure the
/// temporary file is removed, `path` is left untouched, and `dl::FileError` names the
/// path and the system's reason. Two threads of one process must not write the same path at once.
void write_file_atomically(const std::string& path, std::string_view bytes);

/// Writes `value` as JSON plus a newline to `path`, atomically (see `write_file_atomically`),
/// creating missing parent directories. `indent` as in `Json::dump` (2: pretty, -1: one line).
void write_json_file(const std::string& path, const Json& value, int indent = 2);

/// Where this program was built and when it runs, for summary.json:
/// {"commit" (git, "-dirty" with local changes), "compiler", "eigen", "date" (UTC, ISO 8601)}.
/// The website shows it as the "verified with" line of each chapter page.
Json build_info();

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

// ---- command line ---------------------------------------------------------

/// What `ArgParser::try_parse` found.
struct ParseResult {
  /// Outcome of parsing.
  enum class Status {
    ok,    ///< every argument understood; targets updated
    help,  ///< `--help` or `-h` was given
    error  ///< see `message`
  };
  Status status = Status::ok;  ///< outcome
  std::string message;         ///< for `error`: what was wrong, e.g. "option --epochs expects an integer, got 'abc'"
  /// True when parsing succeeded.
  bool ok() const { return status == Status::ok; }
};

/// A tiny command-line parser for chapter programs: `--flag`, `--name value`, `--name=value`.
///
/// Each option writes straight into a variable of the program; the value that variable
/// holds when the option is added is its default, and `usage()` shows it. Values must
/// parse completely as the variable's type ("3x" is not an int), so a typo stops the
/// program instead of silently training with the default.
class ArgParser {
 public:
  /// A parser for the program `program`, described in one line by `description`.
  ArgParser(std::string program, std::string description);

  /// A switch: `name` (e.g. "--full") sets `*target` to true; `--full=false` sets it to false.
  void add_flag(const std::string& name, bool* target, const std::string& help);
  /// An integer option, e.g. `--epochs 3`.
  void add_option(const std::string& name, int* target, const std::string& help);
  /// A 64-bit integer option, e.g. `--steps 100000`.
  void add_option(const std::string& name, int64_t* target, const std::string& help);
  /// A finite floating-point option, e.g. `--lr 1e-3`.
  void add_option(const std::string& name, float* target, const std::string& help);
  /// A finite floating-point option, e.g. `--lr 1e-3`.
  void add_option(const std::string& name, double* target, const std::string& help);
  /// A text option, e.g. `--out build/results`.
  void add_option(const std::string& name, std::string* target, const std::string& help);

  /// Parses `args` (without the program name) into the targets; never exits.
  /// Targets are assigned as options are read, so after an error some may have changed.
  ParseResult try_parse(const std::vector<std::string>& args);
  /// Parses `argv[1..argc)`. On `--help`/`-h` prints `usage()` to stdout and exits with 0;
  /// on an error prints "<program>: error: <what>" and the usage to stderr and exits with 2
  /// (the usual status for a command-line mistake).
  void parse(int argc, char** argv);
  /// The help text: usage line, description, and each option with its help and default.
  std::string usage() const;

 private:
  using Target = std::variant<bool*, int*, int64_t*, float*, double*, std::string*>;
  struct Option {
    std::string name;
    std::string help;
    Target target;
    std::string default_text;  // the target's value when the option was added
  };
  void add(const std::string& name, Target target, const std::string& help);
  const Option* lookup(std::string_view name) const;
  std::string nearest_name(std::string_view name) const;

  std::string program_;
  std::string description_;
  std::vector<Option> options_;
};

// ---- progress and time ----------------------------------------------------

/// Measures wall time from construction (or the last `reset`) with a monotonic clock,
/// so changes of the system time never make it run backwards.
class Timer {
 public:
  /// Starts timing.
  Timer() : start_(std::chrono::steady_clock::now()) {}
  /// Seconds since construction or the last `reset()`.
  double seconds() const;
  /// Starts again from zero.
  void reset() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

/// A one-line progress display on stderr: `train  120/1000  12.0%  35.2 it/s  ETA 0:25  loss 0.4123`.
///
/// The line is redrawn in place with `\r`, at most about 10 times a second so that a
/// fast loop does not spend its time printing. When stderr is not a terminal (output
/// redirected to a log, or CI), it prints nothing at all, so logs stay clean.
class ProgressBar {
 public:
  /// When to draw.
  enum class Mode {
    automatic,  ///< only when stderr is a terminal
    always,     ///< always (for tests, or to force it into a log)
    never       ///< never
  };
  /// A bar named `label` counting to `total` steps (`total <= 0`: unknown, no percentage or ETA).
  /// It writes to `out`, or to std::cerr when `out` is null.
  ProgressBar(std::string label, int64_t total, Mode mode = Mode::automatic, std::ostream* out = nullptr);
  /// Ends the line if `finish()` was not called.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Reports that `done` steps are complete and, optionally, the latest loss. Redraws
  /// when 0.1 s have passed since the last redraw, or when `done` reaches the total.
  void update(int64_t done, std::optional<double> loss = std::nullopt);
  /// Draws the last state once more and ends the line. Calling it again does nothing.
  void finish();
  /// True when this bar draws anything.
  bool enabled() const { return enabled_; }

  /// The text of one line (without `\r`), given `elapsed` seconds since the start;
  /// public so that its format can be tested and reused in logs.
  static std::string format_line(const std::string& label, int64_t done, int64_t total, double elapsed,
                                 std::optional<double> loss);

 private:
  void draw();

  std::string label_;
  int64_t total_;
  bool enabled_;
  std::ostream* out_;
  Timer timer_;
  double last_draw_ = -1.0;  // seconds since start of the last redraw; negative: never drawn
  int64_t done_ = 0;
  std::optional<double> loss_;
  size_t last_width_ = 0;  // length of the previous line, to blank out what a shorter line leaves
  bool finished_ = false;
};

}  // namespace dl::util
