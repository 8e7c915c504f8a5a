// A monotonic timer and a one-line progress bar on stderr.
#include "dl/app/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace dl::app {

double Timer::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

namespace {

// 0:25, 12:05, 1:02:03
std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 99.0 * 3600) return "--:--";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

std::string ProgressBar::format_line(const std::string& label, int64_t done, int64_t total, double elapsed,
                                     std::optional<double> loss) {
  char buf[64];
  std::string line = label;
  if (total > 0) {
    // Pad the count to the width of the total so the line does not jitter as digits grow.
    const std::string t = std::to_string(total);
    std::string d = std::to_string(done);
    if (d.size() < t.size()) d.insert(0, t.size() - d.size(), ' ');
    std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * static_cast<double>(done) / static_cast<double>(total));
    line += "  " + d + "/" + t + "  " + buf;
  } else {
    line += "  " + std::to_string(done);
  }
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  if (rate > 0) {
    std::snprintf(buf, sizeof buf, rate >= 100 ? "%.0f" : rate >= 10 ? "%.1f" : "%.2f", rate);
    line += std::string("  ") + buf + " it/s";
  }
  if (total > 0 && done < total && rate > 0)
    line += "  ETA " + clock_text(static_cast<double>(total - done) / rate);
  else if (total > 0 && done >= total)
    line += "  in " + clock_text(elapsed);
  if (loss) {
    std::snprintf(buf, sizeof buf, "%.4g", *loss);
    line += std::string("  loss ") + buf;
  }
  return line;
}

ProgressBar::ProgressBar(std::string label, int64_t total, Mode mode, std::ostream* out)
    : label_(std::move(label)),
      total_(total),
      enabled_(mode == Mode::always || (mode == Mode::automatic && ::isatty(STDERR_FILENO) == 1)),
      out_(out ? out : &std::cerr) {}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; a failed final newline is not worth a crash.
  }
}

void ProgressBar::update(int64_t done, std::optional<double> loss) {
  if (!enabled_ || finished_) return;
  done_ = done;
  if (loss) loss_ = loss;  // keep showing the last loss on steps that report none
  // Redrawing costs a system call; ten times a second looks smooth and costs nothing.
  constexpr double kRedrawInterval = 0.1;
  const bool complete = total_ > 0 && done >= total_;
  if (last_draw_ < 0 || timer_.seconds() - last_draw_ >= kRedrawInterval || complete) draw();
}

void ProgressBar::draw() {
  const double now = timer_.seconds();
  const std::string line = format_line(label_, done_, total_, now, loss_);
  *out_ << '\r' << line;
  if (line.size() < last_width_) *out_ << std::string(last_width_ - line.size(), ' ');
  out_->flush();
  last_width_ = line.size();
  last_draw_ = now;
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_ || last_draw_ < 0) return;  // nothing on screen to complete
  draw();
  *out_ << '\n';
  out_->flush();
}

}  // namespace dl::app
