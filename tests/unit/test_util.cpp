// dl::util: command-line parsing, progress bar, metrics lines, atomic JSON files and the timer.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "dl/eigen.hpp"
#include "dl/ops.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dl/json.hpp"
#include "dl/util.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using dl::util::ArgParser;
using dl::util::ParseResult;
namespace fs = std::filesystem;

namespace {
using test::TempDir;


std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The options of a typical chapter program, with their defaults.
struct Settings {
  int epochs = 3;
  int64_t steps = 1000;
  float lr = 0.01f;
  double momentum = 0.9;
  std::string out = "build/results";
  bool full = false;
  int offset = 0;

  ArgParser parser() {
    ArgParser p("mlp", "Train a small MLP.");
    p.add_option("--epochs", &epochs, "passes over the data");
    p.add_option("--steps", &steps, "optimizer steps");
    p.add_option("--lr", &lr, "learning rate");
    p.add_option("--momentum", &momentum, "SGD momentum");
    p.add_option("--out", &out, "output folder");
    p.add_flag("--full", &full, "train longer");
    p.add_option("--offset", &offset, "a signed value");
    return p;
  }
};

}  // namespace

TEST_CASE("argparser: accepts --name value and --name=value for every type", "[util]") {
  Settings s;
  ArgParser p = s.parser();
  const ParseResult r = p.try_parse({"--epochs", "7", "--steps=123456789012", "--lr", "1e-3", "--momentum=0.5", "--out",
                                     "/tmp/x y", "--full", "--offset", "-4"});
  REQUIRE(r.ok());
  CHECK(s.epochs == 7);
  CHECK(s.steps == 123456789012);
  CHECK(s.lr == 1e-3f);
  CHECK(s.momentum == 0.5);
  CHECK(s.out == "/tmp/x y");
  CHECK(s.full);
  CHECK(s.offset == -4);

  CHECK(p.try_parse({"--full=false", "--out="}).ok());
  CHECK_FALSE(s.full);
  CHECK(s.out.empty());
  CHECK(p.try_parse({"--epochs=1", "--epochs=2"}).ok());  // the last one wins
  CHECK(s.epochs == 2);
}

TEST_CASE("argparser: options left out keep their defaults, and usage shows them", "[util]") {
  Settings s;
  ArgParser p = s.parser();
  REQUIRE(p.try_parse({}).ok());
  CHECK(s.epochs == 3);
  CHECK(s.out == "build/results");
  const std::string usage = p.usage();
  CHECK_THAT(usage, Contains("usage: mlp [options]"));
  CHECK_THAT(usage, Contains("Train a small MLP."));
  CHECK_THAT(usage, Contains("--epochs N"));
  CHECK_THAT(usage, Contains("passes over the data (default: 3)"));
  CHECK_THAT(usage, Contains("(default: 0.01)"));
  CHECK_THAT(usage, Contains("(default: \"build/results\")"));
  CHECK_THAT(usage, Contains("--full "));
  CHECK_THAT(usage, Contains("-h, --help"));
  // Defaults are captured when options are added, not after parsing.
  REQUIRE(p.try_parse({"--epochs", "9"}).ok());
  CHECK_THAT(p.usage(), Contains("(default: 3)"));
}

TEST_CASE("argparser: --help and -h ask for the usage", "[util]") {
  Settings s;
  ArgParser p = s.parser();
  CHECK(p.try_parse({"--help"}).status == ParseResult::Status::help);
  CHECK(p.try_parse({"--epochs", "2", "-h"}).status == ParseResult::Status::help);
}

TEST_CASE("argparser: unknown options are rejected with a suggestion", "[util]") {
  Settings s;
  ArgParser p = s.parser();
  ParseResult r = p.try_parse({"--epoch", "3"});
  CHECK(r.status == ParseResult::Status::error);
  CHECK_THAT(r.message, Contains("unknown option --epoch") && Contains("did you mean --epochs?"));
  r = p.try_parse({"--completely-different"});
  CHECK(r.status == ParseResult::Status::error);
  CHECK_THAT(r.message, Contains("unknown option --completely-different (see --help)"));
  r = p.try_parse({"data.csv"});
  CHECK(r.status == ParseResult::Status::error);
  CHECK_THAT(r.message, Contains("unexpected argument 'data.csv'"));
  r = p.try_parse({"-x"});
  CHECK(r.status == ParseResult::Status::error);
}

TEST_CASE("argparser: values that do not parse completely are rejected", "[util]") {
  struct Case {
    std::vector<std::string> args;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {{"--epochs", "abc"}, "option --epochs expects an integer, got 'abc'"},
      {{"--epochs", "3x"}, "expects an integer, got '3x'"},
      {{"--epochs", "3.5"}, "expects an integer"},
      {{"--epochs", " 3"}, "expects an integer"},
      {{"--epochs="}, "expects an integer, got ''"},
      {{"--epochs", "99999999999"}, "out of range"},
      {{"--steps", "99999999999999999999"}, "out of range"},
      {{"--lr", "fast"}, "option --lr expects a number"},
      {{"--lr", "1e-3x"}, "expects a number"},
      {{"--lr", "1e999"}, "out of range for a float"},
      {{"--lr", "nan"}, "expects a finite number"},
      {{"--momentum", "inf"}, "expects a finite number"},
      {{"--full=maybe"}, "expects true or false"},
      {{"--epochs"}, "option --epochs needs a value (--epochs N or --epochs=N)"},
      {{"--epochs", "--full"}, "needs a value"},
      {{"--out"}, "needs a value"},
  };
  for (const Case& c : cases) {
    Settings s;
    ArgParser p = s.parser();
    INFO("args: " << c.args[0] << (c.args.size() > 1 ? " " + c.args[1] : ""));
    const ParseResult r = p.try_parse(c.args);
    CHECK(r.status == ParseResult::Status::error);
    CHECK_THAT(r.message, Contains(c.fragment));
    CHECK(s.epochs == 3);  // a bad value never lands in the target
    CHECK(s.lr == 0.01f);
  }
}

TEST_CASE("argparser: mistakes in declaring options throw dl::Error", "[util]") {
  int n = 0;
  ArgParser p("prog", "");
  p.add_option("--n", &n, "a number");
  CHECK_THROWS_AS(p.add_option("--n", &n, "again"), dl::Error);
  CHECK_THROWS_AS(p.add_option("n", &n, "no dashes"), dl::Error);
  CHECK_THROWS_AS(p.add_option("--a=b", &n, "has ="), dl::Error);
  CHECK_THROWS_AS(p.add_option("--help", &n, "built in"), dl::Error);
  CHECK_THROWS_AS(p.add_option("--m", static_cast<int*>(nullptr), "null"), dl::Error);
}

TEST_CASE("argparser: parse exits with 2 and prints the error and usage to stderr", "[util]") {
  TempDir dir;
  const std::string err_path = dir.file("stderr.txt");
  // Flush first, or the child's exit would print our pending output a second time.
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::alarm(10);  // a hung child must not hang the test run
    std::FILE* err = std::freopen(err_path.c_str(), "w", stderr);
    if (!err) ::_exit(100);
    int epochs = 1;
    ArgParser p("train", "Trains.");
    p.add_option("--epochs", &epochs, "passes");
    const char* argv[] = {"train", "--epochs", "abc", nullptr};
    p.parse(3, const_cast<char**>(argv));
    ::_exit(101);  // parse() should have exited
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  const std::string err = read_text(err_path);
  CHECK_THAT(err, Contains("train: error: option --epochs expects an integer, got 'abc'"));
  CHECK_THAT(err, Contains("usage: train [options]"));
}

TEST_CASE("progress bar: format_line shows count, percent, rate, ETA and loss", "[util]") {
  using dl::util::ProgressBar;
  CHECK(ProgressBar::format_line("train", 250, 1000, 10.0, 0.4123) ==
        "train   250/1000   25.0%  25.0 it/s  ETA 0:30  loss 0.4123");
  CHECK(ProgressBar::format_line("eval", 1000, 1000, 4000.0, std::nullopt) ==
        "eval  1000/1000  100.0%  0.25 it/s  in 1:06:40");
  CHECK(ProgressBar::format_line("gen", 5, 0, 0.0, std::nullopt) == "gen  5");  // unknown total, no time yet
}

TEST_CASE("progress bar: redraws in place with a carriage return, throttles redraws and ends with one newline", "[util]") {
  using dl::util::ProgressBar;
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

TEST_CASE("metrics writer: each record is one parseable JSON line, flushed at once", "[util]") {
  TempDir dir;
  const std::string path = dir.file("run/nested/metrics.jsonl");  // parents are created
  dl::util::MetricsWriter writer(path);
  CHECK(writer.path() == path);
  std::vector<dl::Json> records;
  for (int step = 1; step <= 3; ++step) {
    dl::Json r = dl::Json::object();
    r["step"] = step;
    r["loss"] = 1.0 / step;
    r["tag"] = "line\nbreak";  // escaped, so the record stays on one line
    records.push_back(r);
    writer.write(r);
  }
  // Read while the writer is still open: every line must already be on disk.
  std::istringstream lines(read_text(path));
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    REQUIRE(n < records.size());
    CHECK(dl::Json::parse(line) == records[n]);
    ++n;
  }
  CHECK(n == records.size());
  CHECK_THROWS_AS(writer.write(dl::Json(3)), dl::Error);

  // A parent "directory" that is a file cannot be created.
  {
    std::ofstream plain(dir.file("plain"));
    plain << "x";
  }
  CHECK_THROWS_AS(dl::util::MetricsWriter(dir.file("plain/metrics.jsonl")), dl::FileError);
}

TEST_CASE("write_json_file: creates parent folders and writes JSON plus a newline", "[util]") {
  TempDir dir;
  const std::string path = dir.file("out/02-cnn/summary.json");
  dl::Json summary = dl::Json::object();
  summary["accuracy"] = 0.91;
  summary["epochs"] = 3;
  dl::util::write_json_file(path, summary);
  const std::string text = read_text(path);
  CHECK(text.back() == '\n');
  CHECK(dl::Json::parse(text) == summary);
  CHECK(text == summary.dump(2) + "\n");
  dl::util::write_json_file(path, summary, -1);
  CHECK(read_text(path) == "{\"accuracy\":0.91,\"epochs\":3}\n");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"summary.json"});  // no temporary file left
}

TEST_CASE("write_file_atomically: a failed write keeps the target and leaves no temporary file", "[util]") {
  TempDir dir;
  const std::string target = dir.file("data.bin");
  dl::util::write_file_atomically(target, "old");
  CHECK(read_text(target) == "old");
  dl::util::write_file_atomically(target, std::string("new\0bytes", 9));
  CHECK(read_text(target) == std::string("new\0bytes", 9));

  // Renaming over a non-empty directory fails after the data were written.
  const std::string blocked = dir.file("blocked");
  fs::create_directories(blocked + "/inside");
  CHECK_THROWS_WITH(dl::util::write_file_atomically(blocked, "x"), Contains(blocked) && Contains("renaming"));
  CHECK_THROWS_AS(dl::util::write_file_atomically(dir.file("no/such/dir/f"), "x"), dl::FileError);
  CHECK_THROWS_AS(dl::util::write_file_atomically("", "x"), dl::FileError);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"blocked", "data.bin"});
  CHECK(read_text(target) == std::string("new\0bytes", 9));
}

TEST_CASE("timer: never runs backwards and reset starts again from zero", "[util]") {
  dl::util::Timer timer;
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

TEST_CASE("build_info: names the commit, compiler, Eigen version and the UTC date of the run", "[util]") {
  dl::Json info = dl::util::build_info();
  CHECK_FALSE(info["commit"].as_string().empty());
  CHECK(info["compiler"].as_string().find_first_of("0123456789") != std::string::npos);
  CHECK(info["eigen"].as_string().rfind("3.", 0) == 0);
  const std::string date = info["date"].as_string();
  REQUIRE(date.size() == 20);  // 2026-01-31T12:34:56Z
  CHECK(date[4] == '-');
  CHECK(date[10] == 'T');
  CHECK(date.back() == 'Z');
}

TEST_CASE("blas: the library names the GEMM it runs on, and DL_GEMM=eigen switches the BLAS off", "[util]") {
  const std::string name = dl::detail::blas_name();
  INFO("blas_name() = " << name);
  const char* gemm = std::getenv("DL_GEMM");
  if (gemm != nullptr && std::string(gemm) == "eigen") {
    CHECK(!dl::detail::blas_preferred());
    CHECK((name.find("DL_GEMM=eigen") != std::string::npos || name.find("Eigen's own GEMM") != std::string::npos));
  } else if (DL_HAVE_BLAS) {
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
