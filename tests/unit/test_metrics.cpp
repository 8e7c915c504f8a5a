#include <catch2/catch.hpp>

#include <dl/error.hpp>
#include <dl/metrics.hpp>
#include <dl/random.hpp>

using Catch::Matchers::WithinAbs;

TEST_CASE("metrics: confusion matrix and accuracy count each example once", "[metrics]") {
  const std::vector<int> truth = {0, 0, 1, 2, 2, 2}, predicted = {0, 1, 1, 2, 0, 2};
  const auto m = dl::metrics::confusion_matrix(truth, predicted, 3);
  REQUIRE(m == std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 1, 0}, {1, 0, 2}});
  REQUIRE_THAT(dl::metrics::accuracy(truth, predicted), WithinAbs(4.0 / 6.0, 1e-12));
  REQUIRE_THROWS_AS(dl::metrics::confusion_matrix(truth, std::vector<int>{0, 1}, 3), dl::Error);
  REQUIRE_THROWS_AS(dl::metrics::confusion_matrix(truth, predicted, 2), dl::Error);  // label 2 is outside [0, 2)
}

TEST_CASE("metrics: macro-F1 averages the classes present, by hand and against a brute force", "[metrics]") {
  // Class 0: tp 1, true 2, predicted 2 -> 0.5; class 1: tp 1, true 1, predicted 2 -> 2/3; class 2: tp 2, true 3,
  // predicted 2 -> 0.8; class 3 occurs nowhere and is left out.
  const std::vector<int> truth = {0, 0, 1, 2, 2, 2}, predicted = {0, 1, 1, 2, 0, 2};
  REQUIRE_THAT(dl::metrics::macro_f1(truth, predicted, 4), WithinAbs((0.5 + 2.0 / 3.0 + 0.8) / 3.0, 1e-12));
  REQUIRE_THAT(dl::metrics::macro_f1(truth, truth, 4), WithinAbs(1.0, 1e-12));
  // A class that is predicted but never true counts with F1 0.
  REQUIRE_THAT(dl::metrics::macro_f1(std::vector<int>{0, 0}, std::vector<int>{0, 1}, 2), WithinAbs((2.0 / 3.0 + 0) / 2, 1e-12));
  dl::Generator gen(5);
  std::vector<int> t(200), p(200);
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<int>(gen.below(5)), p[i] = static_cast<int>(gen.below(5));
  double sum = 0;
  int present = 0;
  for (int c = 0; c < 6; ++c) {  // class 5 is absent
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < t.size(); ++i) tp += t[i] == c && p[i] == c, fp += t[i] != c && p[i] == c, fn += t[i] == c && p[i] != c;
    if (tp + fp + fn == 0) continue;
    const double precision = tp + fp > 0 ? tp / (tp + fp) : 0, recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    sum += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0, ++present;
  }
  REQUIRE_THAT(dl::metrics::macro_f1(t, p, 6), WithinAbs(sum / present, 1e-12));
}

TEST_CASE("metrics: calibration bins hold lo < confidence <= hi, ECE weighs each bin's gap by its share", "[metrics]") {
  const std::vector<double> confidence = {0.0, 0.1, 0.25, 0.9, 0.95, 1.0};
  const std::vector<char> correct = {0, 0, 1, 1, 0, 1};
  const auto bins = dl::metrics::calibration_bins(confidence, correct, 4);  // (0,.25] (.25,.5] (.5,.75] (.75,1]
  REQUIRE(bins[0].count == 3);  // 0 (the first bin takes it), 0.1 and 0.25 (the upper edge is in)
  REQUIRE(bins[1].count == 0);
  REQUIRE(bins[3].count == 3);
  REQUIRE_THAT(bins[0].confidence, WithinAbs(0.35 / 3, 1e-12));
  REQUIRE_THAT(bins[3].accuracy, WithinAbs(2.0 / 3, 1e-12));
  const double ece = 0.5 * std::abs(1.0 / 3 - 0.35 / 3) + 0.5 * std::abs(2.0 / 3 - 2.85 / 3);
  REQUIRE_THAT(dl::metrics::expected_calibration_error(confidence, correct, 4), WithinAbs(ece, 1e-12));
  // A model that is right exactly as often as it says is calibrated: ECE near 0.
  dl::Generator gen(3);
  std::vector<double> c;
  std::vector<char> r;
  for (int i = 0; i < 200000; ++i) {
    const double p = 0.3 + 0.7 * gen.uniform();
    c.push_back(p), r.push_back(gen.uniform() < p);
  }
  REQUIRE(dl::metrics::expected_calibration_error(c, r, 10) < 0.01);
  REQUIRE_THROWS_AS(dl::metrics::calibration_bins(std::vector<double>{1.5}, std::vector<char>{1}, 4), dl::Error);
  REQUIRE_THROWS_AS(dl::metrics::calibration_bins(std::vector<double>{std::nan("")}, std::vector<char>{1}, 4), dl::Error);
  REQUIRE_THROWS_AS(dl::metrics::calibration_bins(confidence, correct, 0), dl::Error);
  REQUIRE_THROWS_AS(dl::metrics::calibration_bins(confidence, std::vector<char>{1}, 4), dl::Error);
}
