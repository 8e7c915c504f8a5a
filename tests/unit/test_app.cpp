// dl::app: the command line and exit codes of every program (run_program, CLI11),
// result files (JSON, metrics lines, summaries), the progress bar, the timer and the
// build record; and dl's atomic file writes.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dl/app.hpp"
#include "dl/io.hpp"
#include "dl/ops.hpp"
#include "dl/random.hpp"
#include "dl/threads.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using dl::app::Json;
namespace fs = std::filesystem;

namespace {
using test::read_text;
using test::TempDir;

// What run_program did with a command line: its exit code, stdout and stderr.
struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs `body` under run_program("train", args...) in a child process (so that output
// and exit codes are the real ones) and collects what it printed.
Outcome run(std::vector<std::string> args, const std::function<int(dl::app::Program&)>& body) {
  TempDir dir;
  const std::string out_path = dir.file("out.txt"), err_path = dir.file("err.txt");
  std::cout.flush();
  std::fflush(nullptr);  // or the child's exit prints our pending output a second time
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::alarm(10);  // a hung child must not hang the test run
    if (!std::freopen(out_path.c_str(), "w", stdout) || !std::freopen(err_path.c_str(), "w", stderr)) ::_exit(100);
    args.insert(args.begin(), "train");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int code = dl::app::run_program("train", static_cast<int>(args.size()), argv.data(), body);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), read_text(out_path), read_text(err_path)};
}

// The flags of a typical chapter program, with their defaults.
struct Settings {
  int epochs = 3;
  int64_t steps = 1000;
  float lr = 0.01f;
  double momentum = 0.9;
  std::string name = "run";
  bool full = false;
  int offset = 0;

  void add_to(dl::app::Program& program) {
    CLI::App& cli = program.cli();
    cli.description("Trains.");
    cli.add_option("--epochs", epochs, "passes over the data")->check(dl::app::positive);
    cli.add_option("--steps", steps, "optimizer steps");
    cli.add_option("--lr", lr, "learning rate")->check(dl::app::positive);
    cli.add_option("--momentum", momentum, "SGD momentum")->check(dl::app::non_negative);
    cli.add_option("--name", name, "a text");
    cli.add_flag("--full", full, "train longer");
    cli.add_option("--offset", offset, "a signed value");
  }
};

// A program that declares Settings, parses, and prints what it got.
int print_settings(dl::app::Program& program) {
  Settings s;
  s.add_to(program);
  program.common.out_dir = "results/default";
  program.parse();
  std::cout << s.epochs << " " << s.steps << " " << s.lr << " " << s.momentum << " " << s.name << " " << s.full << " "
            << s.offset << " " << program.common.out_dir << " " << program.common.seed << " "
            << program.common.threads << "\n";
  return 0;
}

}  // namespace

TEST_CASE("run_program: flags take --name value and --name=value for every type", "[app]") {
  const Outcome r = run({"--epochs", "7", "--steps=123456789012", "--lr", "1e-3", "--momentum=0.5", "--name", "a b",
                         "--full", "--offset", "-4", "--seed", "5", "--threads=2", "--out", "/tmp/x"},
                        print_settings);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "7 123456789012 0.001 0.5 a b 1 -4 /tmp/x 5 2\n");
}

TEST_CASE("run_program: flags left out keep their defaults, and --help shows every flag with it", "[app]") {
  const Outcome plain = run({}, print_settings);
  CHECK(plain.exit_code == 0);
  CHECK(plain.out == "3 1000 0.01 0.9 run 0 0 results/default 0 1\n");

  const Outcome help = run({"--help"}, print_settings);
  CHECK(help.exit_code == 0);
  CHECK(help.err.empty());
  CHECK_THAT(help.out, Contains("Usage: train") && Contains("Trains."));
  for (const char* flag : {"--epochs INT:POSITIVE=3 ", "--lr FLOAT:POSITIVE=0.01 ", "--momentum FLOAT:NONNEGATIVE=0.9\n",
                           "--out TEXT:NONEMPTY=results/default", "--seed INT:NONNEGATIVE=0", "--threads INT:1..1024=1",
                           "--data", "--full"})
    CHECK_THAT(help.out, Contains(flag));
}

TEST_CASE("run_program: an unknown flag or a value that does not parse exits with 2, naming it, with the usage", "[app]") {
  struct Case {
    std::vector<std::string> args;
    std::string fragment;
  };
  for (const Case& c : std::vector<Case>{{{"--epocs", "3"}, "--epocs"},
                                          {{"--epochs", "abc"}, "abc"},
                                          {{"--epochs", "3x"}, "3x"},
                                          {{"--epochs", "0"}, "expected a number > 0, got 0"},
                                          {{"--lr", "nan"}, "expected a number > 0, got nan"},
                                          {{"--lr", "-1e-3"}, "expected a number > 0"},
                                          {{"--momentum", "inf"}, "expected a number >= 0, got inf"},
                                          {{"--steps", "99999999999999999999"}, "fits in 64 bits"},
                                          {{"--steps", "010"}, "expected a decimal integer, got 010"},
                                          {{"--epochs"}, "--epochs"},
                                          {{"--threads", "0"}, "--threads"},
                                          {{"--threads", "100000"}, "--threads"},
                                          {{"--seed", "-1"}, "--seed"},
                                          {{"--out", ""}, "--out"},
                                          {{"stray"}, "stray"}}) {
    INFO(c.args.front());
    const Outcome r = run(c.args, print_settings);
    CHECK(r.exit_code == dl::app::kExitUsageError);
    CHECK(r.out.empty());  // the body never ran
    CHECK_THAT(r.err, Contains("train: error: ") && Contains(c.fragment) && Contains("Usage: train"));
  }
}

TEST_CASE("run_program: the exit code says how the program ended", "[app]") {
  const auto parsed_then = [](auto action) {
    return [action](dl::app::Program& program) {
      program.parse();
      return action();
    };
  };
  const Outcome ok = run({}, parsed_then([] { return 0; }));
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.empty());

  const Outcome usage = run({}, parsed_then([]() -> int { throw dl::app::UsageError("--arch must be cnn or lesson"); }));
  CHECK(usage.exit_code == 2);
  CHECK_THAT(usage.err, Contains("train: error: --arch must be cnn or lesson") && Contains("Usage: train"));

  const Outcome file = run({}, parsed_then([]() -> int { throw dl::FileError("/data/x.gz: no such file"); }));
  CHECK(file.exit_code == 1);
  CHECK(file.err == "train: error: /data/x.gz: no such file\n");  // one line, no usage

  const Outcome diverged = run({}, parsed_then([]() -> int { throw dl::NonFiniteError("loss is nan at step 7"); }));
  CHECK(diverged.exit_code == 1);
  CHECK(diverged.err == "train: training stopped: loss is nan at step 7\n");

  const Outcome other = run({}, parsed_then([]() -> int { throw std::runtime_error("out of memory"); }));
  CHECK(other.exit_code == 1);
  CHECK(other.err == "train: error: out of memory\n");
}

TEST_CASE("run_program: --seed seeds the default generator and --threads sets the thread count", "[app]") {
  const auto draw = [](dl::app::Program& program) {
    program.parse();
    std::cout << dl::default_generator().uniform() << " " << dl::num_threads() << "\n";
    return 0;
  };
  const Outcome a = run({"--seed", "11", "--threads", "2"}, draw), b = run({"--seed", "11", "--threads", "2"}, draw);
  const Outcome c = run({"--seed", "12", "--threads", "1"}, draw);
  CHECK(a.out == b.out);
  CHECK(a.out != c.out);
  CHECK_THAT(a.out, Contains(" 2\n"));
  CHECK_THAT(c.out, Contains(" 1\n"));
}

TEST_CASE("results_dir: results go under build/results/<run> by default", "[app]") {
  CHECK(dl::app::results_dir("01-deep-learning") == std::string(DL_RESULTS_DIR) + "/01-deep-learning");
}

TEST_CASE("json: a float flag is written in its shortest decimal form, NaN as null, in insertion order", "[app]") {
  CHECK(Json(dl::app::json_float(0.001f)).dump() == "0.001");
  CHECK(Json(dl::app::json_float(3e-3f)).dump() == "0.003");
  CHECK(Json(dl::app::json_float(0.1f)).dump() == "0.1");
  CHECK(static_cast<float>(dl::app::json_float(0.1f)) == 0.1f);  // still the same float
  CHECK(Json(0.001f).dump() != "0.001");                         // what the raw float would give
  CHECK(Json(std::nan("")).dump() == "null");
  const Json ordered = {{"zeta", 1}, {"alpha", 2}, {"mid", 3}};
  CHECK(ordered.dump() == R"({"zeta":1,"alpha":2,"mid":3})");
  CHECK(Json(int64_t{1} << 53).dump() == "9007199254740992");  // integers stay integers
}

TEST_CASE("make_summary: chapter first, then results, settings and the build record", "[app]") {
  const Json summary = dl::app::make_summary("03-rnn", {{"val_loss", 2.5}}, {{"steps", 900}});
  std::vector<std::string> keys;
  for (const auto& [key, value] : summary.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"chapter", "val_loss", "steps", "build"});
  CHECK(summary["chapter"] == "03-rnn");
  CHECK(summary["build"].contains("commit"));
  CHECK_THROWS_AS(dl::app::make_summary("x", Json::array(), Json::object()), dl::Error);
}

TEST_CASE("read_json_file: a missing file or bad JSON is a FileError naming the path and the byte", "[app]") {
  TempDir dir;
  std::ofstream(dir.file("bad.json")) << R"({"a": [1, 2,, 3]})";
  CHECK_THROWS_WITH(dl::app::read_json_file(dir.file("bad.json")),
                    Contains(dir.file("bad.json")) && Contains("not valid JSON at byte 13"));
  CHECK_THROWS_AS(dl::app::read_json_file(dir.file("missing.json")), dl::FileError);
  std::ofstream(dir.file("good.json")) << R"({"b": 1, "a": [true, null]})";
  CHECK(dl::app::read_json_file(dir.file("good.json")).dump() == R"({"b":1,"a":[true,null]})");
}

TEST_CASE("progress bar: format_line shows count, percent, rate, ETA and loss", "[app]") {
  using dl::app::ProgressBar;
  CHECK(ProgressBar::format_line("train", 250, 1000, 10.0, 0.4123) ==
        "train   250/1000   25.0%  25.0 it/s  ETA 0:30  loss 0.4123");
  CHECK(ProgressBar::format_line("eval", 1000, 1000, 4000.0, std::nullopt) ==
        "eval  1000/1000  100.0%  0.25 it/s  in 1:06:40");
  CHECK(ProgressBar::format_line("gen", 5, 0, 0.0, std::nullopt) == "gen  5");  // unknown total, no time yet
}

TEST_CASE("progress bar: redraws in place with a carriage return, throttles redraws and ends with one newline", "[app]") {
  using dl::app::ProgressBar;
  std::ostringstream out;
  {
    ProgressBar bar("train", 100000, ProgressBar::Mode::always, &out);
    CHECK(bar.enabled());
    for (int64_t i = 1; i <= 100000; ++i) bar.update(i, 1.0 / static_cast<double>(i));
    bar.finish();
    bar.finish();  // idempotent
  }
  const std::string text = out.str();
  REQUIRE_FALSE(text.empty());
  CHECK(text.front() == '\r');
  CHECK(text.back() == '\n');
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  // 100000 updates in well under a second would be 100000 redraws without the throttle.
  CHECK(std::count(text.begin(), text.end(), '\r') < 50);
  CHECK_THAT(text, Contains("100000/100000") && Contains("100.0%") && Contains("loss 1e-05"));

  std::ostringstream quiet;
  {
    ProgressBar bar("train", 10, ProgressBar::Mode::never, &quiet);
    CHECK_FALSE(bar.enabled());
    for (int i = 1; i <= 10; ++i) bar.update(i, 0.5);
  }  // the destructor finishes; still nothing
  CHECK(quiet.str().empty());

  std::ostringstream unfinished;
  {
    ProgressBar bar("x", 10, ProgressBar::Mode::always, &unfinished);
    bar.update(3);
  }
  CHECK(unfinished.str().back() == '\n');  // the destructor ends the line
  CHECK(ProgressBar("auto", 1).enabled() == (::isatty(STDERR_FILENO) == 1));
}

TEST_CASE("metrics writer: each record is one parseable JSON line, flushed at once", "[app]") {
  TempDir dir;
  const std::string path = dir.file("run/nested/metrics.jsonl");  // parents are created
  dl::app::MetricsWriter writer(path);
  CHECK(writer.path() == path);
  std::vector<Json> records;
  for (int step = 1; step <= 3; ++step) {
    const Json r = {{"step", step}, {"loss", 1.0 / step}, {"tag", "line\nbreak"}};  // escaped: one line
    records.push_back(r);
    writer.write(r);
  }
  // Read while the writer is still open: every line must already be on disk.
  std::istringstream lines(read_text(path));
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    REQUIRE(n < records.size());
    CHECK(Json::parse(line) == records[n]);
    ++n;
  }
  CHECK(n == records.size());
  CHECK_THROWS_AS(writer.write(Json(3)), dl::Error);

  // A parent "directory" that is a file cannot be created.
  {
    std::ofstream plain(dir.file("plain"));
    plain << "x";
  }
  CHECK_THROWS_AS(dl::app::MetricsWriter(dir.file("plain/metrics.jsonl")), dl::FileError);
}

TEST_CASE("write_json_file: creates parent folders and writes JSON plus a newline", "[app]") {
  TempDir dir;
  const std::string path = dir.file("out/02-cnn/summary.json");
  const Json summary = {{"accuracy", 0.91}, {"epochs", 3}};
  dl::app::write_json_file(path, summary);
  const std::string text = read_text(path);
  CHECK(text.back() == '\n');
  CHECK(Json::parse(text) == summary);
  CHECK(text == summary.dump(2) + "\n");
  dl::app::write_json_file(path, summary, -1);
  CHECK(read_text(path) == "{\"accuracy\":0.91,\"epochs\":3}\n");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"summary.json"});  // no temporary file left
}

TEST_CASE("write_file_atomically: a failed write keeps the target and leaves no temporary file", "[app]") {
  TempDir dir;
  const std::string target = dir.file("data.bin");
  dl::write_file_atomically(target, "old");
  CHECK(read_text(target) == "old");
  dl::write_file_atomically(target, std::string("new\0bytes", 9));
  CHECK(read_text(target) == std::string("new\0bytes", 9));

  // Renaming over a non-empty directory fails after the data were written.
  const std::string blocked = dir.file("blocked");
  fs::create_directories(blocked + "/inside");
  CHECK_THROWS_WITH(dl::write_file_atomically(blocked, "x"), Contains(blocked) && Contains("renaming"));
  CHECK_THROWS_AS(dl::write_file_atomically(dir.file("no/such/dir/f"), "x"), dl::FileError);
  CHECK_THROWS_AS(dl::write_file_atomically("", "x"), dl::FileError);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"blocked", "data.bin"});
  CHECK(read_text(target) == std::string("new\0bytes", 9));
}

TEST_CASE("write_file_atomically: a symbolic link planted under the old temporary name is not followed", "[app][errors]") {
  // The temporary file used to be path + ".tmp." + pid, opened with O_TRUNC: a link
  // planted under that name (by another user, into a shared folder) had its target
  // truncated and overwritten, as root too.
  TempDir dir;
  const std::string victim = dir.file("victim.txt"), target = dir.file("summary.json");
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, target + ".tmp." + std::to_string(::getpid()));
  dl::write_file_atomically(target, "{}\n");
  CHECK(read_text(victim) == "precious");
  CHECK(read_text(target) == "{}\n");
  CHECK(fs::is_symlink(target + ".tmp." + std::to_string(::getpid())));  // left alone
  const auto perms = fs::status(target).permissions();
  CHECK((perms & fs::perms::owner_read) != fs::perms::none);
  CHECK((perms & fs::perms::others_write) == fs::perms::none);  // the umask still applies
}

TEST_CASE("timer: never runs backwards and reset starts again from zero", "[app]") {
  dl::app::Timer timer;
  double previous = timer.seconds();
  CHECK(previous >= 0.0);
  for (int i = 0; i < 10000; ++i) {
    const double now = timer.seconds();
    REQUIRE(now >= previous);
    previous = now;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const double slept = timer.seconds();
  CHECK(slept >= 0.03);
  timer.reset();
  CHECK(timer.seconds() < slept);
}

TEST_CASE("build_info: names the commit, compiler, Eigen version and the UTC date of the run", "[app]") {
  const Json info = dl::app::build_info();
  CHECK_FALSE(info["commit"].get<std::string>().empty());
  CHECK(info["compiler"].get<std::string>().find_first_of("0123456789") != std::string::npos);
  CHECK(info["eigen"].get<std::string>().rfind("3.", 0) == 0);
  CHECK(info["blas"] == dl::blas_name());
  const std::string date = info["date"].get<std::string>();
  REQUIRE(date.size() == 20);  // 2026-01-31T12:34:56Z
  CHECK(date[4] == '-');
  CHECK(date[10] == 'T');
  CHECK(date.back() == 'Z');
}

TEST_CASE("blas: the library names the GEMM it runs on, and DL_GEMM=eigen switches the BLAS off", "[app]") {
  const std::string name = dl::blas_name();
  INFO("blas_name() = " << name);
  const char* gemm = std::getenv("DL_GEMM");
  if (gemm != nullptr && std::string(gemm) == "eigen") {
    CHECK(!dl::blas_in_use());
    CHECK((name.find("DL_GEMM=eigen") != std::string::npos || name.find("Eigen's own GEMM") != std::string::npos));
  } else if (dl::blas_compiled_in()) {
    CHECK(name.find("OpenBLAS") != std::string::npos);
  } else {
    CHECK(name == "none (Eigen's own GEMM)");
  }
  // Either way the product is right: a 70x50 times 50x90 product against a triple loop.
  const dl::Tensor a = dl::Tensor::randn({70, 50}), b = dl::Tensor::randn({50, 90});
  const dl::Tensor c = dl::matmul(a, b);
  float worst = 0;
  for (int64_t i = 0; i < 70; ++i)
    for (int64_t j = 0; j < 90; ++j) {
      double s = 0;
      for (int64_t k = 0; k < 50; ++k) s += double(a.at(i * 50 + k)) * b.at(k * 90 + j);
      worst = std::max(worst, static_cast<float>(std::abs(s - c.at(i * 90 + j))));
    }
  CHECK(worst < 1e-4f);
}
