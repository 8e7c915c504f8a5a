// Where a program was built and when it ran: the "build" record of summary.json,
// shown as the "verified with" line of each chapter page.
#include <Eigen/Core>
#include <chrono>
#include <ctime>
#include <string>

#include "dl/app/build_info.hpp"
#include "dl/threads.hpp"
#include "dl_build_info.hpp"  // DL_GIT_COMMIT, written by cmake/BuildInfo.cmake

namespace dl::app {

namespace {

std::string compiler() {
#if defined(__clang__)
  return "clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "g++ " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown compiler";
#endif
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

Json build_info() {
  return {{"commit", DL_GIT_COMMIT},
          {"compiler", compiler()},
          {"eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                        std::to_string(EIGEN_MINOR_VERSION)},
          {"blas", blas_name()},
          {"date", utc_now()}};
}

}  // namespace dl::app
