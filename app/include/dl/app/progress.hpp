/// @file progress.hpp
/// @brief Time and progress on the terminal: a monotonic timer and a one-line progress bar.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace dl::app {

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

}  // namespace dl::app
