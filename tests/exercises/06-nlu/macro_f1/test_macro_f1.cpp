// Tests of the exercise macro_f1; its stub and task are in exercises/06-nlu/macro_f1/.
#include <set>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

double f1(const std::vector<int>& y_true, const std::vector<int>& y_pred, int num_classes) {
  return ex::macro_f1(y_true, y_pred, num_classes);
}

// The definition spelled out, one class at a time: precision = tp / (predicted as k),
// recall = tp / (truly k), F1 = 2 P R / (P + R), 0 when tp is 0; averaged over the classes
// that appear in either list.
double reference(const std::vector<int>& y_true, const std::vector<int>& y_pred) {
  std::set<int> present(y_true.begin(), y_true.end());
  present.insert(y_pred.begin(), y_pred.end());
  double sum = 0;
  for (int k : present) {
    double tp = 0, predicted = 0, actual = 0;
    for (size_t i = 0; i < y_true.size(); ++i) {
      tp += y_true[i] == k && y_pred[i] == k;
      predicted += y_pred[i] == k;
      actual += y_true[i] == k;
    }
    if (tp == 0) continue;  // F1 0
    const double precision = tp / predicted, recall = tp / actual;
    sum += 2 * precision * recall / (precision + recall);
  }
  return sum / static_cast<double>(present.size());
}

}  // namespace

TEST_CASE("macro_f1: a case worked out by hand", "[macro_f1]") {
  // y_true {0, 0, 1, 1, 2}, y_pred {0, 1, 1, 1, 0}:
  //   class 0: tp 1, fp 1 (the 2 read as 0), fn 1 (the 0 read as 1)  F1 = 2/(2 + 1 + 1) = 0.5
  //   class 1: tp 2, fp 1, fn 0                                        F1 = 4/5 = 0.8
  //   class 2: tp 0, fn 1                                              F1 = 0
  // Macro F1 = (0.5 + 0.8 + 0) / 3; accuracy would be 3/5, and a class's size does not matter.
  CHECK(f1({0, 0, 1, 1, 2}, {0, 1, 1, 1, 0}, 3) == Approx(1.3 / 3).epsilon(1e-12));
  // Two classes, precision 2/3 and recall 1 for class 1: F1 = 2 (2/3) / (5/3) = 0.8;
  // class 0: precision 1, recall 1/2, F1 = 2/3.
  CHECK(f1({0, 0, 1, 1}, {0, 1, 1, 1}, 2) == Approx((0.8 + 2.0 / 3) / 2).epsilon(1e-12));
}

TEST_CASE("macro_f1: the mean runs over the classes in y_true or y_pred, not over all of them", "[macro_f1]") {
  // K = 4. y_true {0, 0, 1}, y_pred {0, 2, 1}: class 0 has F1 2/3, class 1 has 1, class 2 is
  // only predicted (F1 0, and it counts), class 3 appears nowhere (left out): (2/3 + 1 + 0) / 3.
  // Averaging over all 4 classes would give 5/12; over the true classes alone, 5/6.
  CHECK(f1({0, 0, 1}, {0, 2, 1}, 4) == Approx(5.0 / 9).epsilon(1e-12));
  // A class that is only true and never predicted counts too, with F1 0.
  CHECK(f1({0, 1, 3}, {0, 1, 1}, 10) == Approx((1 + 2.0 / 3 + 0) / 3).epsilon(1e-12));
}

TEST_CASE("macro_f1: a perfect classifier scores 1 and an always-wrong one 0", "[macro_f1]") {
  CHECK(f1({0, 1, 2, 2, 1, 0}, {0, 1, 2, 2, 1, 0}, 3) == Approx(1.0));
  CHECK(f1({4, 4, 7}, {4, 4, 7}, 26) == Approx(1.0));  // the other 24 classes appear nowhere
  CHECK(f1({2}, {2}, 3) == Approx(1.0));
  CHECK(f1({0, 1, 2}, {1, 2, 0}, 3) == 0.0);
  CHECK(f1({0, 0, 0}, {1, 1, 1}, 2) == 0.0);
}

TEST_CASE("macro_f1: random labels match the precision-and-recall reference", "[macro_f1]") {
  dl::Generator gen(6300);
  for (int trial = 0; trial < 200; ++trial) {
    const int K = 1 + static_cast<int>(gen.below(26));
    const size_t n = 1 + gen.below(80);
    std::vector<int> y_true(n), y_pred(n);
    // Labels from a few classes only, often right: many classes are absent, some only predicted.
    const int used = 1 + static_cast<int>(gen.below(static_cast<uint64_t>(K)));
    for (size_t i = 0; i < n; ++i) {
      y_true[i] = static_cast<int>(gen.below(static_cast<uint64_t>(used)));
      y_pred[i] = gen.below(2) == 0 ? y_true[i] : static_cast<int>(gen.below(static_cast<uint64_t>(K)));
    }
    INFO("trial " << trial << ": K = " << K << ", n = " << n);
    CHECK(f1(y_true, y_pred, K) == Approx(reference(y_true, y_pred)).epsilon(1e-12).margin(1e-15));
  }
}

TEST_CASE("macro_f1: bad input throws std::invalid_argument", "[macro_f1]") {
  CHECK_THROWS_AS(f1({0, 1}, {0}, 2), std::invalid_argument);
  CHECK_THROWS_AS(f1({}, {}, 2), std::invalid_argument);
  CHECK_THROWS_AS(f1({0}, {0}, 0), std::invalid_argument);
  CHECK_THROWS_AS(f1({0, 2}, {0, 1}, 2), std::invalid_argument);
  CHECK_THROWS_AS(f1({0, 1}, {0, 2}, 2), std::invalid_argument);
  CHECK_THROWS_AS(f1({0, -1}, {0, 1}, 2), std::invalid_argument);
  CHECK_THROWS_AS(f1({0, 1}, {-1, 1}, 2), std::invalid_argument);
}
