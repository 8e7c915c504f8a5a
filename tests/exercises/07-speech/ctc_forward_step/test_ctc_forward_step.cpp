// Tests of the exercise ctc_forward_step; its stub and task are in exercises/07-speech/ctc_forward_step/.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

constexpr float kNone = -std::numeric_limits<float>::infinity();

std::vector<float> logs(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(p > 0 ? static_cast<float>(std::log(p)) : kNone);
  return out;
}

// Checks log alpha_t against probabilities worked out by hand (0 means minus infinity).
void check_step(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t s = 0; s < want.size(); ++s) {
    INFO("state s = " << s << ": want alpha_t(s) = " << want[s]);
    CHECK_FALSE(std::isnan(got[s]));
    if (want[s] == 0)
      CHECK(got[s] == kNone);
    else
      CHECK(got[s] == Approx(std::log(want[s])).margin(1e-5));
  }
}

// The labels with a blank before, between and after them: S = 2 L + 1.
std::vector<int> extend(const std::vector<int>& labels, int blank) {
  std::vector<int> out{blank};
  for (int label : labels) out.insert(out.end(), {label, blank});
  return out;
}

// log P(labels | frames) by the forward recursion, built from the learner's step. Before the
// first frame the only state is "nothing read yet", which behaves like a blank at s = -1:
// starting from alpha = {0 at s = 0, minus infinity elsewhere}, the first step gives
// alpha_0(0) = log y_0(blank), alpha_0(1) = log y_0(labels[0]) and minus infinity beyond,
// exactly CTC's initial values. A path ends on the last label or on the blank after it.
double forward(const std::vector<std::vector<float>>& log_probs, const std::vector<int>& labels, int blank) {
  const std::vector<int> extended = extend(labels, blank);
  std::vector<float> alpha(extended.size(), kNone);
  alpha[0] = 0;
  for (const std::vector<float>& frame : log_probs) alpha = ex::ctc_forward_step(alpha, extended, frame, blank);
  const size_t s = extended.size();
  const double last = alpha[s - 1], before = s >= 2 ? alpha[s - 2] : double(kNone);
  const double top = std::max(last, before);
  return top == double(kNone) ? top : top + std::log(std::exp(last - top) + std::exp(before - top));
}

// log P(labels | frames) by brute force: the sum over all C^T paths whose collapse (merge
// repeats, drop blanks: written here, not the learner's ctc_collapse) is the label sequence.
double brute_force(const std::vector<std::vector<float>>& log_probs, const std::vector<int>& labels, int blank) {
  const size_t frames = log_probs.size(), classes = log_probs[0].size();
  std::vector<size_t> path(frames, 0);
  double total = 0;
  for (;;) {
    std::vector<int> out;
    double p = 1;
    for (size_t t = 0; t < frames; ++t) {
      const int c = static_cast<int>(path[t]);
      p *= std::exp(double(log_probs[t][path[t]]));
      if ((t == 0 || path[t] != path[t - 1]) && c != blank) out.push_back(c);
    }
    if (out == labels) total += p;
    size_t t = 0;  // the next path, counting in base C
    while (t < frames && ++path[t] == classes) path[t++] = 0;
    if (t == frames) break;
  }
  return total > 0 ? std::log(total) : double(kNone);
}

}  // namespace

TEST_CASE("ctc_forward_step: a step worked out by hand", "[ctc_forward_step]") {
  // Labels {1, 2}, blank 0: extended {0, 1, 0, 2, 0}. With y_t = {0.2, 0.3, 0.5}:
  //   s = 0 (blank):   y(0) (a0)            = 0.2 * 0.5           = 0.1
  //   s = 1 (label 1): y(1) (a1 + a0)       = 0.3 * 0.75          = 0.225
  //   s = 2 (blank):   y(0) (a2 + a1)       = 0.2 * 0.35          = 0.07   no skip onto a blank
  //   s = 3 (label 2): y(2) (a3 + a2 + a1)  = 0.5 * 0.4           = 0.2    2 differs from 1: skip
  //   s = 4 (blank):   y(0) (a4 + a3)       = 0.2 * (0.05 + 0.02) = 0.014
  const std::vector<int> extended{0, 1, 0, 2, 0};
  const std::vector<float> alpha = logs({0.5, 0.25, 0.1, 0.05, 0.02});
  const std::vector<float> y = logs({0.2, 0.3, 0.5});
  check_step(ex::ctc_forward_step(alpha, extended, y, 0), {0.1, 0.225, 0.07, 0.2, 0.014});
}

TEST_CASE("ctc_forward_step: a repeated label cannot skip the blank between its copies", "[ctc_forward_step]") {
  // Labels {1, 1}: extended {0, 1, 0, 1, 0}. Jumping from s = 1 to s = 3 would read "1 1",
  // which collapses to a single 1, so s = 3 comes from s = 3 and s = 2 alone:
  //   s = 3: y(1) (a3 + a2) = 0.3 * (0.05 + 0.1) = 0.045 (not 0.3 * 0.4)
  const std::vector<int> extended{0, 1, 0, 1, 0};
  const std::vector<float> alpha = logs({0.5, 0.25, 0.1, 0.05, 0.02});
  const std::vector<float> y = logs({0.2, 0.3, 0.5});
  check_step(ex::ctc_forward_step(alpha, extended, y, 0), {0.1, 0.225, 0.07, 0.045, 0.014});
  INFO("only s = 1 reached so far: s = 3 stays unreachable for a repeat and is reachable for {1, 2}");
  const std::vector<float> at_first = logs({0, 1, 0, 0, 0});
  check_step(ex::ctc_forward_step(at_first, extended, y, 0), {0, 0.3, 0.2, 0, 0});
  check_step(ex::ctc_forward_step(at_first, std::vector<int>{0, 1, 0, 2, 0}, y, 0), {0, 0.3, 0.2, 0.5, 0});
}

TEST_CASE("ctc_forward_step: the blank can be any class", "[ctc_forward_step]") {
  // Blank 2, labels {0, 1}: extended {2, 0, 2, 1, 2}; y_t = {0.1, 0.6, 0.3}.
  const std::vector<int> extended{2, 0, 2, 1, 2};
  const std::vector<float> alpha = logs({0.4, 0.3, 0.2, 0.1, 0.05});
  const std::vector<float> y = logs({0.1, 0.6, 0.3});
  check_step(ex::ctc_forward_step(alpha, extended, y, 2),
             {0.3 * 0.4, 0.1 * 0.7, 0.3 * 0.5, 0.6 * (0.1 + 0.2 + 0.3), 0.3 * 0.15});
}

TEST_CASE("ctc_forward_step: minus infinity stays minus infinity and never turns into NaN", "[ctc_forward_step]") {
  const std::vector<int> extended{0, 1, 0, 2, 0};
  const std::vector<float> y = logs({0.2, 0.3, 0.5});
  INFO("no state reached yet: every state stays unreachable");
  check_step(ex::ctc_forward_step(std::vector<float>(5, kNone), extended, y, 0), {0, 0, 0, 0, 0});
  INFO("the start: alpha = {0, -inf, ...} gives CTC's first frame, y(blank) at s = 0 and y(l_1) at s = 1");
  check_step(ex::ctc_forward_step(logs({1, 0, 0, 0, 0}), extended, y, 0), {0.2, 0.3, 0, 0, 0});
  INFO("a class of probability 0 (log y = -inf) makes its states unreachable");
  check_step(ex::ctc_forward_step(logs({0.5, 0.25, 0.1, 0.05, 0.02}), extended, logs({0.5, 0.5, 0}), 0),
             {0.25, 0.375, 0.175, 0, 0.035});
  INFO("every input at minus infinity");
  check_step(ex::ctc_forward_step(std::vector<float>(5, kNone), extended, std::vector<float>(3, kNone), 0),
             {0, 0, 0, 0, 0});
}

TEST_CASE("ctc_forward_step: log values far below 0 do not underflow", "[ctc_forward_step]") {
  // After many frames log alpha is in the thousands below 0, where exp() is exactly 0:
  // add the largest term outside the log. The numbers are the hand case's, shifted by -2000.
  const std::vector<int> extended{0, 1, 0, 2, 0};
  std::vector<float> alpha = logs({0.5, 0.25, 0.1, 0.05, 0.02});
  for (float& a : alpha) a -= 2000.0f;
  const std::vector<float> got = ex::ctc_forward_step(alpha, extended, logs({0.2, 0.3, 0.5}), 0);
  const std::vector<double> want{0.1, 0.225, 0.07, 0.2, 0.014};
  REQUIRE(got.size() == 5);
  for (size_t s = 0; s < 5; ++s) {
    INFO("state " << s);
    CHECK(got[s] == Approx(std::log(want[s]) - 2000.0).margin(1e-3));
  }
}

TEST_CASE("ctc_forward_step: the forward pass it makes equals the sum over all alignments", "[ctc_forward_step]") {
  // Random frames of log-probabilities (a log-softmax of random scores) and random label
  // sequences, with repeats; up to 4^6 paths summed by brute force.
  dl::Generator gen(7500);
  int reachable = 0, unreachable = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const auto classes = static_cast<size_t>(2 + gen.below(3));
    const auto frames = static_cast<size_t>(1 + gen.below(6));
    const int blank = gen.below(2) == 0 ? 0 : static_cast<int>(classes) - 1;
    std::vector<int> labels;
    for (uint64_t i = 0, n = gen.below(4); i < n; ++i) {
      int label = static_cast<int>(gen.below(classes - 1));
      if (label >= blank) ++label;
      labels.push_back(label);
    }
    std::vector<std::vector<float>> log_probs;
    for (size_t t = 0; t < frames; ++t) {
      const std::vector<float> z =
          test::random_tensor({static_cast<int64_t>(classes)}, 7600 + 10 * static_cast<uint64_t>(trial) + t, 2.0f)
              .to_vector();
      double total = 0;
      for (float x : z) total += std::exp(double(x));
      std::vector<float>& row = log_probs.emplace_back();
      for (float x : z) row.push_back(static_cast<float>(double(x) - std::log(total)));
    }
    const double want = brute_force(log_probs, labels, blank), got = forward(log_probs, labels, blank);
    INFO("trial " << trial << ": C = " << classes << ", T = " << frames << ", blank " << blank
                  << ", L = " << labels.size() << ", brute force log P = " << want);
    CHECK_FALSE(std::isnan(got));
    if (want == double(kNone)) {
      CHECK(got == double(kNone));  // too few frames for these labels
      ++unreachable;
    } else {
      CHECK(got == Approx(want).margin(1e-4));
      ++reachable;
    }
  }
  CHECK(reachable > 30);
  CHECK(unreachable > 0);
}

TEST_CASE("ctc_forward_step: mismatched lengths and labels outside the classes throw", "[ctc_forward_step]") {
  const std::vector<float> y = logs({0.2, 0.3, 0.5});
  const std::vector<float> alpha = logs({0.5, 0.25, 0.1, 0.05, 0.02});
  CHECK_THROWS_AS(ex::ctc_forward_step(std::vector<float>(4, 0.0f), std::vector<int>{0, 1, 0, 2, 0}, y, 0),
                  dl::ShapeError);
  CHECK_THROWS_AS(ex::ctc_forward_step(alpha, std::vector<int>{0, 1, 0, 3, 0}, y, 0), std::out_of_range);
  CHECK_THROWS_AS(ex::ctc_forward_step(alpha, std::vector<int>{0, -1, 0, 2, 0}, y, 0), std::out_of_range);
  CHECK_THROWS_AS(ex::ctc_forward_step(alpha, std::vector<int>{0, 1, 0, 2, 0}, y, 3), std::out_of_range);
}
