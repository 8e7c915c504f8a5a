/// @file build_info.hpp
/// @brief Where a program was built and when it ran, for summary.json and benchmarks.
#pragma once

#include "dl/app/results.hpp"

namespace dl::app {

/// Where this program was built and when it runs, for summary.json:
/// {"commit" (git, "-dirty" with local changes), "compiler", "eigen", "blas",
/// "date" (UTC, ISO 8601)}. The website shows it as the "verified with" line of each
/// chapter page.
Json build_info();

}  // namespace dl::app
