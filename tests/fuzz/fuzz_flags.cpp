// The command line of every chapter program: any arguments (the input split at NUL
// bytes) parse, or are a usage error CLI11 reports; run_program's shared flags included.
#include <dl/app/program.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"fuzz"};
  std::string current;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  args.push_back(current);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  dl::app::Program program("fuzz", static_cast<int>(args.size()), argv.data());
  int epochs = 1;
  float lr = 0.1f;
  std::string name;
  bool full = false;
  program.cli().add_option("--epochs", epochs, "")->check(dl::app::positive);
  program.cli().add_option("--lr", lr, "")->check(dl::app::positive);
  program.cli().add_option("--name", name, "");
  program.cli().add_flag("--full", full, "");
  try {
    program.parse();
    fuzz::require(epochs > 0 && lr > 0 && program.common.threads >= 1 && program.common.seed >= 0,
                  "parsed values pass their checks");
  } catch (const CLI::Error&) {
  }
  return 0;
}
