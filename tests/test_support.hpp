// Helpers shared by the test programs.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <sys/wait.h>

namespace test {

/// The whole content of a file ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A fresh directory under the system temp folder, removed with its contents at scope exit.
struct TempDir {
  std::filesystem::path path;

  TempDir() {
    static int counter = 0;
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    // create_directory is false when the name is taken (a parallel test process): take the next.
    do {
      path = std::filesystem::temp_directory_path() /
             ("dl_test_" + std::to_string(stamp) + "_" + std::to_string(counter++));
    } while (!std::filesystem::create_directory(path));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return (path / name).string(); }
  /// The directory itself.
  std::string str() const { return path.string(); }
  /// Names of the entries in the directory (unordered).
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) names.push_back(entry.path().filename().string());
    return names;
  }
};

/// What a program printed and how it ended.
struct ProgramResult {
  int exit_code;       ///< the exit status, or -1 when a signal ended it
  std::string output;  ///< stdout and stderr, interleaved
};

/// Runs `program` with `args` (a shell command line: quote what needs it) and collects
/// everything it prints. Throws when the shell cannot be started.
inline ProgramResult run_program(const std::string& program, const std::string& args) {
  const std::string command = "\"" + program + "\" " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace test
