/// @file program.hpp
/// @brief What every chapter program shares around its `main`: the command line (CLI11),
/// the shared flags, the exit codes, and the one place that turns errors into messages.
///
/// A chapter program's `main` reads:
///
/// ```cpp
/// int main(int argc, char** argv) {
///   return dl::app::run_program("mlp", argc, argv, [](dl::app::Program& program) {
///     int epochs = 12;
///     program.cli().description("Train a small MLP on Fashion-MNIST.");
///     program.cli().add_option("--epochs", epochs, "passes over the training set")->check(dl::app::positive);
///     program.common.out_dir = dl::app::results_dir("01-deep-learning");
///     program.parse();  // --help, a typo or a bad value ends here with exit 0 or 2
///     ...               // train; a dl::Error thrown here ends with a one-line message and exit 1
///     return 0;
///   });
/// }
/// ```
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "dl/error.hpp"

namespace dl::app {

/// Exit statuses of every chapter program.
enum ExitCode : int {
  kExitOk = 0,            ///< the run finished
  kExitRuntimeError = 1,  ///< missing data, a bad file, a loss that became NaN: a one-line message on stderr
  kExitUsageError = 2,    ///< a mistake on the command line: the message and the usage on stderr
};

/// A mistake on the command line found after parsing (a value out of range, flags that
/// do not go together): `run_program` prints it with the usage and exits with 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

/// The flags every chapter program has, with their values after `Program::parse`.
struct CommonFlags {
  std::string data_dir;  ///< --data: folder with the data set's files
  std::string out_dir;   ///< --out: folder for summary.json, metrics.jsonl and the weights
  int64_t seed = 0;      ///< --seed: seed of initialisation, shuffling, dropout and sampling
  int threads = 1;       ///< --threads: threads for matrix products and parallel loops
};

/// A chapter program's command line: its own flags (declared on `cli()`) and the shared
/// ones (`common`). Built by `run_program`.
class Program {
 public:
  /// The program `name` (e.g. "mlp") reading `argv[1..argc)`.
  Program(std::string name, int argc, char** argv);

  /// The program's name, as in messages ("mlp: error: ...").
  const std::string& name() const { return name_; }
  /// The CLI11 application: declare the program's own flags and its description here.
  /// Every flag's help shows its default.
  CLI::App& cli() { return cli_; }
  /// The help text: usage, description and every flag with its default.
  std::string usage() const { return cli_.help(); }

  /// The shared flags. Set their defaults before `parse()`; they hold the values after.
  CommonFlags common;

  /// Declares the shared flags (`--data`, `--out`, `--seed`, `--threads`, defaults from
  /// `common`), parses the command line, then seeds the default generator and sets the
  /// thread count. A mistake throws (CLI11's `ParseError`), which `run_program` reports
  /// with exit 2; `--help` prints the usage and exits with 0.
  void parse();
  /// Parses the command line without the shared flags, for a tool that reads no data
  /// and writes no results (`./book faq`).
  void parse_own_flags();

 private:
  std::string name_;
  int argc_;
  char** argv_;
  CLI::App cli_;
};

/// Runs a chapter program: builds its `Program`, runs `body`, and owns the exit codes and
/// messages, so every program behaves the same way:
/// - `body`'s return value (0) when it finishes;
/// - 0 after `--help`, which prints the usage on stdout;
/// - 2 for a mistake on the command line (an unknown flag, a value that does not parse
///   or is out of range, `UsageError`): "NAME: error: WHAT", then the usage, on stderr;
/// - 1 for any other error (missing data, a bad file, `NonFiniteError` when training
///   diverges): "NAME: error: WHAT" (or "NAME: training stopped: WHAT") on one line.
int run_program(const std::string& name, int argc, char** argv, const std::function<int(Program&)>& body);

/// Where a run's results go unless `--out` says otherwise: `build/results/<run>`.
std::string results_dir(const std::string& run);

/// @name Checks for numeric flags
/// CLI11 validators that, unlike CLI11's own, also refuse NaN and infinity:
/// `cli.add_option("--lr", lr, "step size")->check(dl::app::positive)`.
/// @{

/// A finite number greater than 0.
extern const CLI::Validator positive;
/// A finite number, 0 or greater.
extern const CLI::Validator non_negative;
/// A text that is not empty (e.g. `--out ""` would write into the current folder's root).
extern const CLI::Validator non_empty;
/// @}

}  // namespace dl::app
