// What the fuzz targets share: the input as a file (for readers that take a path).
// A target returns 0 for input it handled, refused inputs included: a dl::Error is the
// documented answer to bad input. A crash, a sanitizer report, an assertion, any other
// exception or a broken invariant (std::abort) is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fuzz {

/// Writes the input to a file of this process and returns its path.
inline std::string as_file(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/dl-fuzz-input." + std::to_string(::getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

/// Stops with a message when an invariant the library promises does not hold.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace fuzz
