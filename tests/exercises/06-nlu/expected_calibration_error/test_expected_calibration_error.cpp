// Tests of the exercise expected_calibration_error; its stub and task are in
// exercises/06-nlu/expected_calibration_error/.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

double ece(const std::vector<double>& confidence, const std::vector<bool>& correct, int num_bins) {
  return ex::expected_calibration_error(confidence, correct, num_bins);
}

// n copies of `confidence`, the first `right` of them correct.
void add(std::vector<double>& confidence, std::vector<bool>& correct, double c, int n, int right) {
  for (int i = 0; i < n; ++i) {
    confidence.push_back(c);
    correct.push_back(i < right);
  }
}

// The definition with the bins as intervals: bin m is (m/M, (m+1)/M], and bin 0 also holds 0.
// Called with M a power of 2, so that the edges m/M are exact.
double reference(const std::vector<double>& confidence, const std::vector<bool>& correct, int M) {
  double total = 0;
  for (int m = 0; m < M; ++m) {
    const double lo = double(m) / M, hi = double(m + 1) / M;
    double count = 0, hits = 0, sum = 0;
    for (size_t i = 0; i < confidence.size(); ++i) {
      const double c = confidence[i];
      if ((c > lo && c <= hi) || (m == 0 && c == 0)) {
        ++count;
        hits += correct[i];
        sum += c;
      }
    }
    if (count > 0) total += count / double(confidence.size()) * std::abs(hits / count - sum / count);
  }
  return total;
}

}  // namespace

TEST_CASE("expected_calibration_error: an overconfident model, worked out by hand", "[expected_calibration_error]") {
  // M = 5, bins of width 0.2. Eight examples:
  //   bin (0.8, 1]:   0.9 four times, 2 right: accuracy 0.5, confidence 0.9, gap 0.4, weight 4/8
  //   bin (0.6, 0.8]: 0.7 twice, 1 right:      accuracy 0.5, confidence 0.7, gap 0.2, weight 2/8
  //   bin (0.2, 0.4]: 0.3 twice, none right:   accuracy 0,   confidence 0.3, gap 0.3, weight 2/8
  // ECE = 0.5 0.4 + 0.25 0.2 + 0.25 0.3 = 0.325.
  std::vector<double> confidence;
  std::vector<bool> correct;
  add(confidence, correct, 0.9, 4, 2);
  add(confidence, correct, 0.7, 2, 1);
  add(confidence, correct, 0.3, 2, 0);
  CHECK(ece(confidence, correct, 5) == Approx(0.325).epsilon(1e-12));
  // One bin: the gap between the overall accuracy 3/8 and the mean confidence 5.6/8.
  CHECK(ece(confidence, correct, 1) == Approx(2.6 / 8).epsilon(1e-12));
}

TEST_CASE("expected_calibration_error: a perfectly calibrated model scores about 0", "[expected_calibration_error]") {
  // In every bin the fraction right equals the confidence.
  std::vector<double> confidence;
  std::vector<bool> correct;
  add(confidence, correct, 0.5, 100, 50);
  add(confidence, correct, 0.8, 100, 80);
  add(confidence, correct, 0.95, 100, 95);
  add(confidence, correct, 1.0, 10, 10);
  add(confidence, correct, 0.0, 10, 0);
  for (int M : {1, 10, 15, 20}) {
    INFO("M = " << M);
    CHECK(ece(confidence, correct, M) == Approx(0.0).margin(1e-12));
  }
  // Right with probability equal to its confidence: the ECE shrinks towards 0 with more examples.
  dl::Generator gen(6400);
  confidence.clear();
  correct.clear();
  for (int i = 0; i < 200000; ++i) {
    const double c = gen.uniform();
    confidence.push_back(c);
    correct.push_back(gen.uniform() < c);
  }
  CHECK(ece(confidence, correct, 10) < 0.01);
}

TEST_CASE("expected_calibration_error: bins are closed on the right, 0 goes in the first and 1 in the last",
          "[expected_calibration_error]") {
  // M = 4: 0.5 belongs to (0.25, 0.5], with 0.3, not to (0.5, 0.75]. Together they are right
  // half the time at mean confidence 0.4: ECE 0.1. Bins [0.25, 0.5) and [0.5, 0.75) would give 0.4.
  CHECK(ece({0.5, 0.3}, {true, false}, 4) == Approx(0.1).epsilon(1e-12));
  // 0 shares bin 0 with 0.1 (M = 4): accuracy 1/2, confidence 0.05.
  CHECK(ece({0.0, 0.1}, {true, false}, 4) == Approx(0.45).epsilon(1e-12));
  // 1 goes in the last bin, with 0.8 (M = 4): accuracy 1/2, confidence 0.9.
  CHECK(ece({1.0, 0.8}, {false, true}, 4) == Approx(0.4).epsilon(1e-12));
  CHECK(ece({1.0, 1.0}, {true, false}, 10) == Approx(0.5).epsilon(1e-12));
  CHECK(ece({1.0}, {true}, 7) == 0.0);
  CHECK(ece({0.0}, {false}, 7) == 0.0);
  CHECK(ece({0.0}, {true}, 3) == Approx(1.0));
}

TEST_CASE("expected_calibration_error: random data match the definition with intervals",
          "[expected_calibration_error]") {
  dl::Generator gen(6500);
  for (int trial = 0; trial < 100; ++trial) {
    const int M = 1 << gen.below(6);  // 1 .. 32
    const size_t n = 1 + gen.below(300);
    std::vector<double> confidence(n);
    std::vector<bool> correct(n);
    for (size_t i = 0; i < n; ++i) {
      // A third of them on a bin edge m/M, 0 and 1 included.
      confidence[i] = gen.below(3) == 0 ? double(gen.below(uint64_t(M) + 1)) / M : double(gen.uniform());
      correct[i] = gen.uniform() < 0.7;
    }
    INFO("trial " << trial << ": M = " << M << ", n = " << n);
    CHECK(ece(confidence, correct, M) == Approx(reference(confidence, correct, M)).epsilon(1e-12).margin(1e-15));
  }
}

TEST_CASE("expected_calibration_error: bad input throws std::invalid_argument", "[expected_calibration_error]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(ece({0.5, 1.1}, {true, true}, 10), std::invalid_argument);
  CHECK_THROWS_AS(ece({-0.1, 0.5}, {true, true}, 10), std::invalid_argument);
  CHECK_THROWS_AS(ece({0.5, nan}, {true, true}, 10), std::invalid_argument);
  CHECK_THROWS_AS(ece({0.5, 0.6}, {true}, 10), std::invalid_argument);
  CHECK_THROWS_AS(ece({}, {}, 10), std::invalid_argument);
  CHECK_THROWS_AS(ece({0.5}, {true}, 0), std::invalid_argument);
  CHECK_THROWS_AS(ece({0.5}, {true}, -3), std::invalid_argument);
}
