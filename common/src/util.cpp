// Helpers around the math of a chapter program: atomic file writes, metrics lines,
// command-line options, a progress bar and a timer.
#include "dl/util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <system_error>
#include <type_traits>

namespace dl::util {

// ---- files ----------------------------------------------------------------

namespace {

std::string errno_text(int err) { return std::system_category().message(err); }

// The directory a path lives in, "." for a bare file name.
std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void create_parent_directories(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    throw FileError(path + ": cannot create the directory " + parent.string() + ": " + ec.message() +
                    " (expected a writable location; pass another output folder, e.g. --out)");
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw FileError("write_file_atomically: empty path (expected a file name)");
  // Same directory as the target: rename() is only atomic within one file system.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  const auto fail = [&](const char* step) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());  // may already be gone; the error that matters is `err`
    throw FileError(path + ": cannot save (" + step + "): " + errno_text(err) + " (expected the directory " +
                    directory_of(path) + " to exist, be writable and have free space)");
  };
  if (fd < 0) fail("creating the temporary file");

  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    // write() may write less than asked (signals, pipes, 2 GB cap), so loop until done.
    const ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // Without fsync a crash right after the rename can leave an empty file under the new name.
  if (::fsync(fd) != 0) fail("flushing to disk");
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) fail("closing");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("renaming the temporary file over it");

  // Persist the rename itself. Best effort: some file systems refuse fsync on a directory,
  // and the data is already safe in the file.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

void write_json_file(const std::string& path, const Json& value, int indent) {
  create_parent_directories(path);
  write_file_atomically(path, value.dump(indent) + "\n");
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
                " (build the record with Json::object())");
  const std::string line = record.dump() + "\n";
  errno = 0;
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() || std::fflush(file_.get()) != 0)
    throw FileError(path_ + ": cannot append a metrics line: " + errno_text(errno) + " (is the disk full?)");
}

// ---- command line ---------------------------------------------------------

namespace {

// The fewest digits that read back to the same value, in the value's own type
// (0.01f prints as 0.01, not as the double 0.009999999776482582).
template <class F>
std::string shortest(F x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

const char* metavar(const std::variant<bool*, int*, int64_t*, float*, double*, std::string*>& target) {
  switch (target.index()) {
    case 0:
      return "";
    case 1:
    case 2:
      return " N";
    case 3:
    case 4:
      return " X";
    default:
      return " TEXT";
  }
}

// Edit distance, for "did you mean --epochs?" after a typo.
size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Parses all of `text` as an integer of type I; returns an error message or "".
template <class I>
std::string parse_integer(const std::string& name, const std::string& text, I* target) {
  I value{};
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range)
    return "option " + name + ": " + text + " is out of range (expected " +
           std::to_string(std::numeric_limits<I>::min()) + " to " + std::to_string(std::numeric_limits<I>::max()) + ")";
  if (ec != std::errc() || ptr != last || text.empty())
    return "option " + name + " expects an integer, got '" + text + "'";
  *target = value;
  return "";
}

// Parses all of `text` as a finite floating-point number of type F; returns an error message or "".
template <class F>
std::string parse_real(const std::string& name, const std::string& text, F* target) {
  F value{};
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range)
    return "option " + name + ": " + text + " is out of range for a " + (std::is_same_v<F, float> ? "float" : "double");
  if (ec != std::errc() || ptr != last || text.empty())
    return "option " + name + " expects a number (e.g. 0.001 or 1e-3), got '" + text + "'";
  if (!std::isfinite(value)) return "option " + name + " expects a finite number, got '" + text + "'";
  *target = value;
  return "";
}

std::string parse_bool(const std::string& name, const std::string& text, bool* target) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    *target = true;
    return "";
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    *target = false;
    return "";
  }
  return "flag " + name + " expects true or false after '=', got '" + text + "'";
}

}  // namespace

ArgParser::ArgParser(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

void ArgParser::add(const std::string& name, Target target, const std::string& help) {
  if (name.size() < 3 || name.compare(0, 2, "--") != 0 || name.find('=') != std::string::npos)
    throw Error("ArgParser: option name '" + name + "' must look like --name (two dashes, no '=')");
  if (name == "--help") throw Error("ArgParser: --help is built in; choose another name");
  if (lookup(name)) throw Error("ArgParser: option " + name + " was added twice");
  if (std::visit([](auto* p) { return p == nullptr; }, target))
    throw Error("ArgParser: option " + name + " needs a variable to write to (got a null pointer)");
  std::string default_text = std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>)
          return *p ? "on" : "";
        else if constexpr (std::is_same_v<T, std::string>)
          return p->empty() ? "" : "\"" + *p + "\"";
        else if constexpr (std::is_floating_point_v<T>)
          return shortest(*p);
        else
          return std::to_string(*p);
      },
      target);
  options_.push_back({name, help, target, std::move(default_text)});
}

void ArgParser::add_flag(const std::string& name, bool* target, const std::string& help) { add(name, target, help); }
void ArgParser::add_option(const std::string& name, int* target, const std::string& help) { add(name, target, help); }
void ArgParser::add_option(const std::string& name, int64_t* target, const std::string& help) {
  add(name, target, help);
}
void ArgParser::add_option(const std::string& name, float* target, const std::string& help) { add(name, target, help); }
void ArgParser::add_option(const std::string& name, double* target, const std::string& help) {
  add(name, target, help);
}
void ArgParser::add_option(const std::string& name, std::string* target, const std::string& help) {
  add(name, target, help);
}

const ArgParser::Option* ArgParser::lookup(std::string_view name) const {
  for (const Option& o : options_)
    if (o.name == name) return &o;
  return nullptr;
}

std::string ArgParser::nearest_name(std::string_view name) const {
  std::string best;
  size_t best_distance = 3;  // further than two edits is a different word, not a typo
  for (const Option& o : options_) {
    const size_t d = levenshtein(name, o.name);
    if (d < best_distance) best_distance = d, best = o.name;
  }
  return best;
}

ParseResult ArgParser::try_parse(const std::vector<std::string>& args) {
  const auto error = [](std::string message) { return ParseResult{ParseResult::Status::error, std::move(message)}; };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") return ParseResult{ParseResult::Status::help, ""};
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      return error("unexpected argument '" + arg + "' (options start with --; see --help)");

    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const Option* option = lookup(name);
    if (!option) {
      const std::string guess = nearest_name(name);
      return error("unknown option " + name + (guess.empty() ? " (see --help)" : " (did you mean " + guess + "?)"));
    }
    std::optional<std::string> value;
    if (eq != std::string::npos) value = arg.substr(eq + 1);

    if (auto* flag = std::get_if<bool*>(&option->target)) {
      const std::string message = value ? parse_bool(name, *value, *flag) : "";
      if (!value) **flag = true;
      if (!message.empty()) return error(message);
      continue;
    }
    if (!value) {
      // A following "--x" is the next option, not this one's value: "--epochs --full" is a mistake.
      if (i + 1 >= args.size() || args[i + 1].compare(0, 2, "--") == 0)
        return error("option " + name + " needs a value (" + name + metavar(option->target) + " or " + name + "=" +
                     std::string(metavar(option->target)).substr(1) + ")");
      value = args[++i];
    }
    const std::string message = std::visit(
        [&](auto* p) -> std::string {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, std::string>) {
            *p = *value;
            return "";
          } else if constexpr (std::is_floating_point_v<T>) {
            return parse_real(name, *value, p);
          } else if constexpr (std::is_same_v<T, bool>) {
            return parse_bool(name, *value, p);  // not reached: flags are handled above
          } else {
            return parse_integer(name, *value, p);
          }
        },
        option->target);
    if (!message.empty()) return error(message);
  }
  return ParseResult{};
}

void ArgParser::parse(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  const ParseResult result = try_parse(args);
  if (result.status == ParseResult::Status::help) {
    std::cout << usage() << std::flush;
    std::exit(0);
  }
  if (result.status == ParseResult::Status::error) {
    std::cerr << program_ << ": error: " << result.message << "\n\n" << usage() << std::flush;
    std::exit(2);
  }
}

std::string ArgParser::usage() const {
  std::vector<std::pair<std::string, std::string>> rows;  // left column, right column
  for (const Option& o : options_) {
    std::string right = o.help;
    if (!o.default_text.empty()) right += (right.empty() ? "" : " ") + std::string("(default: ") + o.default_text + ")";
    rows.emplace_back(o.name + metavar(o.target), right);
  }
  rows.emplace_back("-h, --help", "show this help and exit");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());

  std::string text = "usage: " + program_ + " [options]\n";
  if (!description_.empty()) text += "\n" + description_ + "\n";
  text += "\noptions:\n";
  for (const auto& [left, right] : rows) text += "  " + left + std::string(width - left.size() + 2, ' ') + right + "\n";
  return text;
}

// ---- progress and time ----------------------------------------------------

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

}  // namespace dl::util
