// The command line of every chapter program (CLI11), its shared flags, and the one
// place where errors become messages and exit codes.
#include "dl/app/program.hpp"

#include <charconv>
#include <cmath>
#include <iostream>

#include "dl/random.hpp"
#include "dl/threads.hpp"

namespace dl::app {

namespace {

// Largest --threads accepted: more threads than this are a typo, not a machine.
constexpr int kMaxThreads = 1024;

// A CLI11 check on the number a flag's text holds; `ok` decides, `expected` says what is wanted.
CLI::Validator number_check(const std::string& expected, const std::string& name, bool (*ok)(double)) {
  return CLI::Validator(
      [expected, ok](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || !ok(value))
          return "expected " + expected + ", got " + text;
        return "";
      },
      name);
}

// CLI11 2.1 reads integers with strtoll in base 0: "99999999999999999999" silently
// becomes INT64_MAX and "010" becomes 8. Integer flags take plain decimal numbers
// that fit, or the mistake is reported.
const CLI::Validator decimal_integer(
    [](std::string& text) -> std::string {
      int64_t value = 0;
      const char* end = text.data() + text.size();
      const auto [stop, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc::result_out_of_range) return "expected an integer that fits in 64 bits, got " + text;
      const bool leading_zero = text.size() > 1 && (text[0] == '0' || text.starts_with("-0"));
      if (ec != std::errc() || stop != end || leading_zero) return "expected a decimal integer, got " + text;
      return "";
    },
    "");

}  // namespace

const CLI::Validator positive = number_check("a number > 0", "POSITIVE", [](double x) { return x > 0; });
const CLI::Validator non_negative = number_check("a number >= 0", "NONNEGATIVE", [](double x) { return x >= 0; });
const CLI::Validator non_empty(
    [](std::string& text) -> std::string { return text.empty() ? "expected a non-empty value" : ""; }, "NONEMPTY");

Program::Program(std::string name, int argc, char** argv)
    : name_(std::move(name)), argc_(argc), argv_(argv), cli_("", name_) {
  cli_.option_defaults()->always_capture_default();
}

void Program::parse() {
  cli_.add_option("--data", common.data_dir, "folder with the data set's files")->check(non_empty);
  cli_.add_option("--out", common.out_dir, "folder for summary.json, metrics.jsonl and the weights")->check(non_empty);
  cli_.add_option("--seed", common.seed, "seed of initialisation, shuffling, dropout and sampling")
      ->check(non_negative);
  cli_.add_option("--threads", common.threads, "threads for matrix products and parallel loops")
      ->check(CLI::Range(1, kMaxThreads).description("1.." + std::to_string(kMaxThreads)));
  parse_own_flags();
  set_num_threads(common.threads);
  manual_seed(static_cast<uint64_t>(common.seed));
}

void Program::parse_own_flags() {
  for (CLI::Option* option : cli_.get_options())
    if (option->get_type_name().starts_with("INT")) option->check(decimal_integer);
  cli_.parse(argc_, argv_);
}

std::string results_dir(const std::string& run) { return std::string(DL_RESULTS_DIR) + "/" + run; }

int run_program(const std::string& name, int argc, char** argv, const std::function<int(Program&)>& body) {
  Program program(name, argc, argv);
  const auto usage_error = [&](const std::string& what) {
    std::cerr << name << ": error: " << what << "\n\n" << program.usage() << std::flush;
    return int{kExitUsageError};
  };
  try {
    return body(program);
  } catch (const CLI::CallForHelp&) {
    std::cout << program.usage() << std::flush;
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  } catch (const UsageError& e) {
    return usage_error(e.what());
  } catch (const NonFiniteError& e) {
    std::cerr << name << ": training stopped: " << e.what() << "\n";
    return kExitRuntimeError;
  } catch (const std::exception& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return kExitRuntimeError;
  }
}

}  // namespace dl::app
