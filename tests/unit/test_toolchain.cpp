// The compiler, checked where it has been caught out: code built with this project's flags
// must store constants as written.
#include <catch2/catch.hpp>
#include <vector>

namespace {

// Not inlined, so the sum reads what the initialiser stored rather than a folded constant.
[[gnu::noinline]] int sum_of(const std::vector<int>& v) {
  int s = 0;
  for (int x : v) s += x;
  return s;
}

}  // namespace

TEST_CASE("toolchain: a vector of ints holds the values of its initializer list (GCC 12 AVX-512 wrong code)", "[toolchain]") {
  // GCC 12.2 with -march=native on an AVX-512 machine and SLP vectorisation stored eight
  // ones for the first list (a broadcast of 1, the trailing zeros dropped): an attention
  // mask written this way masked nothing. common/CMakeLists.txt turns the pass off.
  const std::vector<int> mask = {1, 1, 1, 1, 1, 1, 0, 0};
  CHECK(sum_of(mask) == 6);
  const std::vector<int> half = {1, 1, 1, 1, 0, 0, 0, 0};
  CHECK(sum_of(half) == 4);
  const std::vector<int> ramp = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(sum_of(ramp) == 7);
}
