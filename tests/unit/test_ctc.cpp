// CTC: the loss against a brute-force sum over every alignment, impossible targets,
// reductions, bad input; greedy and prefix beam search decoding against brute force.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "dl/ctc.hpp"
#include "dl/ops.hpp"

using dl::Tensor;

namespace {

// log p(labelling) for every labelling reachable by the first `frames` frames of
// sequence b of (T,B,C) log-probabilities, by enumerating all C^frames alignments.
std::map<std::vector<int>, double> brute_force(const Tensor& lp, int64_t b, int64_t frames, int blank) {
  const int64_t B = lp.size(1), C = lp.size(2);
  std::map<std::vector<int>, double> prob;
  std::vector<int> path(static_cast<size_t>(frames), 0);
  while (true) {
    double logp = 0.0;
    for (int64_t t = 0; t < frames; ++t) logp += lp.data()[(t * B + b) * C + path[static_cast<size_t>(t)]];
    prob[dl::ctc_collapse(path, blank)] += std::exp(logp);
    int64_t k = 0;  // next alignment, like an odometer
    while (k < frames && ++path[static_cast<size_t>(k)] == C) path[static_cast<size_t>(k++)] = 0;
    if (k == frames) break;
  }
  std::map<std::vector<int>, double> logs;
  for (const auto& [labels, p] : prob) logs[labels] = std::log(p);
  return logs;
}

Tensor random_log_probs(int64_t T, int64_t B, int64_t C, dl::Generator& gen) {
  return dl::log_softmax(Tensor::randn({T, B, C}, gen) * 1.5f, -1).detach();
}

std::vector<int> random_labels(int64_t count, int64_t C, int blank, dl::Generator& gen) {
  std::vector<int> labels;
  while (static_cast<int64_t>(labels.size()) < count) {
    const int c = static_cast<int>(gen.below(static_cast<uint64_t>(C)));
    if (c != blank) labels.push_back(c);
  }
  return labels;
}

}  // namespace

TEST_CASE("ctc_loss: hand-computed T=2 C=2 case sums the three alignments of one label", "[ctc]") {
  // y_t(c) for t = 0, 1; class 0 is the blank. Target [1]: alignments 11, 01, 10.
  const float y[2][2] = {{0.3f, 0.7f}, {0.6f, 0.4f}};
  const Tensor lp = Tensor::from_data({2, 1, 2}, {std::log(y[0][0]), std::log(y[0][1]), std::log(y[1][0]), std::log(y[1][1])});
  const std::vector<int> target{1};
  const std::vector<int64_t> in{2}, tl{1};
  const double p = 0.7 * 0.4 + 0.3 * 0.4 + 0.7 * 0.6;
  const Tensor loss = dl::ctc_loss(lp, target, in, tl, {.reduction = dl::CtcReduction::sum});
  CHECK(loss.item() == Approx(-std::log(p)).epsilon(1e-6));
  // The empty target: only the all-blank alignment.
  const Tensor empty = dl::ctc_loss(lp, std::vector<int>{}, in, std::vector<int64_t>{0}, {.reduction = dl::CtcReduction::sum});
  CHECK(empty.item() == Approx(-std::log(0.3 * 0.6)).epsilon(1e-6));
}

TEST_CASE("ctc_loss: equals the brute-force sum over alignments on random cases", "[ctc]") {
  dl::Generator gen(7);
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t T = 1 + static_cast<int64_t>(gen.below(6)), B = 1 + static_cast<int64_t>(gen.below(3));
    const int64_t C = 2 + static_cast<int64_t>(gen.below(2));
    const int blank = static_cast<int>(gen.below(static_cast<uint64_t>(C)));
    const Tensor lp = random_log_probs(T, B, C, gen);
    std::vector<int64_t> in(static_cast<size_t>(B)), tl(static_cast<size_t>(B));
    std::vector<int> targets;
    for (int64_t b = 0; b < B; ++b) {
      in[static_cast<size_t>(b)] = 1 + static_cast<int64_t>(gen.below(static_cast<uint64_t>(T)));
      tl[static_cast<size_t>(b)] = static_cast<int64_t>(gen.below(4));  // may be infeasible: then both are inf
      const std::vector<int> l = random_labels(tl[static_cast<size_t>(b)], C, blank, gen);
      targets.insert(targets.end(), l.begin(), l.end());
    }
    INFO("trial " << trial << " T " << T << " B " << B << " C " << C << " blank " << blank);
    const Tensor loss = dl::ctc_loss(lp, targets, in, tl, {.blank = blank, .reduction = dl::CtcReduction::none});
    REQUIRE(loss.shape() == dl::Shape{B});
    size_t offset = 0;
    for (int64_t b = 0; b < B; ++b) {
      const std::vector<int> target(targets.begin() + static_cast<std::ptrdiff_t>(offset),
                                    targets.begin() + static_cast<std::ptrdiff_t>(offset + static_cast<size_t>(tl[static_cast<size_t>(b)])));
      offset += target.size();
      const auto all = brute_force(lp, b, in[static_cast<size_t>(b)], blank);
      const auto it = all.find(target);
      INFO("sequence " << b << " frames " << in[static_cast<size_t>(b)] << " target length " << target.size());
      if (it == all.end())
        CHECK(std::isinf(loss.data()[b]));
      else
        CHECK(loss.data()[b] == Approx(-it->second).epsilon(1e-5).margin(1e-5));
    }
  }
}

TEST_CASE("ctc_loss: an impossible target is infinite, or 0 with zero_infinity, and has no gradient", "[ctc]") {
  dl::Generator gen(8);
  // Target 1 1 needs 3 frames (a blank between the repeats); target 1 2 3 needs 3.
  Tensor lp = random_log_probs(2, 2, 4, gen);
  lp.requires_grad_();
  const std::vector<int> targets{1, 1, 1, 2, 3};
  const std::vector<int64_t> in{2, 2}, tl{2, 3};
  const Tensor inf = dl::ctc_loss(lp, targets, in, tl, {.reduction = dl::CtcReduction::none});
  CHECK(std::isinf(inf.data()[0]));
  CHECK(std::isinf(inf.data()[1]));
  CHECK(std::isinf(dl::ctc_loss(lp, targets, in, tl).item()));
  const Tensor zero = dl::ctc_loss(lp, targets, in, tl, {.zero_infinity = true});
  CHECK(zero.item() == 0.0f);
  zero.backward();
  for (int64_t i = 0; i < lp.numel(); ++i) CHECK(lp.grad().data()[i] == 0.0f);
  // Three frames are enough for 1 1.
  const Tensor lp3 = random_log_probs(3, 1, 4, gen);
  CHECK(std::isfinite(dl::ctc_loss(lp3, std::vector<int>{1, 1}, std::vector<int64_t>{3}, std::vector<int64_t>{2}).item()));
}

TEST_CASE("ctc_loss: mean divides each loss by its target length then averages, sum adds", "[ctc]") {
  dl::Generator gen(9);
  const Tensor lp = random_log_probs(6, 3, 5, gen);
  const std::vector<int> targets{1, 2, 3, 4, 4, 2};  // [1], [], [2 3 4 4 2]
  const std::vector<int64_t> in{6, 4, 6}, tl{1, 0, 5};
  const Tensor none = dl::ctc_loss(lp, targets, in, tl, {.reduction = dl::CtcReduction::none});
  const Tensor sum = dl::ctc_loss(lp, targets, in, tl, {.reduction = dl::CtcReduction::sum});
  const Tensor mean = dl::ctc_loss(lp, targets, in, tl);
  const float* l = none.data();
  CHECK(sum.item() == Approx(l[0] + l[1] + l[2]).epsilon(1e-5));
  // An empty target counts as length 1 (PyTorch clamps the divisor at 1).
  CHECK(mean.item() == Approx((l[0] / 1 + l[1] / 1 + l[2] / 5) / 3).epsilon(1e-5));
}

TEST_CASE("ctc_loss: frames past a sequence's input length get gradient 0", "[ctc]") {
  dl::Generator gen(10);
  Tensor lp = random_log_probs(5, 2, 3, gen);
  lp.requires_grad_();
  dl::ctc_loss(lp, std::vector<int>{1, 2, 2}, std::vector<int64_t>{3, 5}, std::vector<int64_t>{1, 2}).backward();
  for (int64_t t = 3; t < 5; ++t)
    for (int64_t c = 0; c < 3; ++c) CHECK(lp.grad().data()[(t * 2 + 0) * 3 + c] == 0.0f);
  // After log_softmax, each frame's gradient w.r.t. the logits sums to 0; here w.r.t. log_probs
  // every frame of a valid path sums to -1 per unit of loss (one class per frame).
  for (int64_t t = 0; t < 3; ++t) {
    double s = 0;
    for (int64_t c = 0; c < 3; ++c) s += lp.grad().data()[(t * 2 + 0) * 3 + c];
    CHECK(s == Approx(-0.5 / 1.0).epsilon(1e-4));  // mean: 1 / (B * L_0) = 1/2
  }
}

TEST_CASE("ctc_loss: bad shapes lengths and labels throw with the fix", "[ctc]") {
  dl::Generator gen(11);
  const Tensor lp = random_log_probs(4, 2, 3, gen);
  const std::vector<int> t2{1, 2};
  const std::vector<int64_t> in{4, 3}, tl{1, 1};
  using Catch::Matchers::Contains;
  CHECK_THROWS_AS(dl::ctc_loss(Tensor::zeros({4, 3}), t2, in, tl), dl::ShapeError);
  CHECK_THROWS_AS(dl::ctc_loss(Tensor::zeros({0, 2, 3}), t2, in, tl), dl::ShapeError);
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, std::vector<int64_t>{4}, tl), Contains("one of each per sequence"));
  CHECK_THROWS_AS(dl::ctc_loss(lp, t2, in, std::vector<int64_t>{2}), dl::ShapeError);
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, std::vector<int64_t>{0, 3}, tl), Contains("is not in [1, T = 4]"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, std::vector<int64_t>{5, 3}, tl), Contains("is not in [1, T = 4]"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, in, std::vector<int64_t>{-1, 3}), Contains("negative"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, in, std::vector<int64_t>{1, 2}), Contains("sum to 3 but there are 2"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, std::vector<int>{1, 3}, in, tl), Contains("not a class index in [0, 3)"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, std::vector<int>{-1, 1}, in, tl), Contains("not a class index"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, std::vector<int>{0, 1}, in, tl), Contains("is the blank"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, in, tl, {.blank = 3}), Contains("blank 3"));
  CHECK_THROWS_WITH(dl::ctc_loss(lp, t2, in, tl, {.blank = -1}), Contains("blank -1"));
}

TEST_CASE("ctc_collapse and ctc_greedy_decode: merge repeats then drop blanks", "[ctc]") {
  CHECK(dl::ctc_collapse(std::vector<int>{1, 1, 0, 1, 2, 2}, 0) == std::vector<int>{1, 1, 2});
  CHECK(dl::ctc_collapse(std::vector<int>{0, 0, 0}, 0).empty());
  CHECK(dl::ctc_collapse(std::vector<int>{3, 3, 1, 3}, 3) == std::vector<int>{1});
  CHECK(dl::ctc_collapse(std::vector<int>{}, 0).empty());
  // Frames' best classes: 2 2 0 2 1 | 1 (past the length)
  const Tensor lp = Tensor::from_data({6, 3}, {0.1f, 0.2f, 0.7f,  0.2f, 0.1f, 0.7f,  0.8f, 0.1f, 0.1f,
                                               0.1f, 0.3f, 0.6f,  0.1f, 0.8f, 0.1f,  0.1f, 0.8f, 0.1f});
  CHECK(dl::ctc_greedy_decode(lp, 5) == std::vector<int>{2, 2, 1});
  CHECK(dl::ctc_greedy_decode(lp, 2) == std::vector<int>{2});
  CHECK(dl::ctc_greedy_decode(lp, 0).empty());
  CHECK(dl::ctc_greedy_decode(lp, 6, 2) == std::vector<int>{0, 1});  // 2 is the blank: 2 2 0 2 1 1 -> 0 1
  CHECK_THROWS_AS(dl::ctc_greedy_decode(Tensor::zeros({2, 3, 1}), 2), dl::ShapeError);
  CHECK_THROWS_AS(dl::ctc_greedy_decode(lp, 7), dl::Error);
  CHECK_THROWS_AS(dl::ctc_greedy_decode(lp, -1), dl::Error);
  CHECK_THROWS_AS(dl::ctc_greedy_decode(lp, 3, 3), dl::Error);
}

TEST_CASE("ctc_prefix_beam_search: an unpruned beam finds the most probable labelling and its exact log-probability", "[ctc]") {
  dl::Generator gen(12);
  for (int trial = 0; trial < 10; ++trial) {
    const int64_t T = 1 + static_cast<int64_t>(gen.below(5)), C = 2 + static_cast<int64_t>(gen.below(2));
    const int blank = static_cast<int>(gen.below(static_cast<uint64_t>(C)));
    const Tensor lp3 = random_log_probs(T, 1, C, gen);
    const Tensor lp = lp3.reshape({T, C});
    const auto all = brute_force(lp3, 0, T, blank);
    std::vector<int> best;
    double best_logp = -std::numeric_limits<double>::infinity();
    for (const auto& [labels, logp] : all)
      if (logp > best_logp) best = labels, best_logp = logp;
    INFO("trial " << trial << " T " << T << " C " << C << " blank " << blank);
    const dl::CtcBeamResult r = dl::ctc_prefix_beam_search(lp, T, static_cast<int>(all.size()), blank);
    CHECK(r.labels == best);
    CHECK(r.log_prob == Approx(best_logp).epsilon(1e-6));
    // Beam 1 keeps one prefix per frame: its score is a lower bound of its labelling's log-probability.
    const dl::CtcBeamResult one = dl::ctc_prefix_beam_search(lp, T, 1, blank);
    CHECK(one.log_prob <= all.at(one.labels) + 1e-9);
  }
}

TEST_CASE("ctc_prefix_beam_search: sums the alignments that greedy decoding splits", "[ctc]") {
  // Two frames, blank 0. Best path is 0 0 (empty, p 0.36) but label 1 has
  // 0.4*0.4 + 0.4*0.6 + 0.6*0.4 = 0.64: the beam finds [1], greedy finds [].
  const float a = std::log(0.6f), b = std::log(0.4f);
  const Tensor lp = Tensor::from_data({2, 2}, {a, b, a, b});
  CHECK(dl::ctc_greedy_decode(lp, 2).empty());
  const dl::CtcBeamResult r = dl::ctc_prefix_beam_search(lp, 2, 4);
  CHECK(r.labels == std::vector<int>{1});
  CHECK(r.log_prob == Approx(std::log(0.64)).epsilon(1e-6));
  // Beam 1: after frame 0 only the empty prefix (0.6) survives, so [1] is reached by 0 1 alone
  // (0.24 < 0.36): documented, beam 1 is not exact.
  const dl::CtcBeamResult one = dl::ctc_prefix_beam_search(lp, 2, 1);
  CHECK(one.labels.empty());
  CHECK(one.log_prob == Approx(std::log(0.36)).epsilon(1e-6));
  CHECK(dl::ctc_prefix_beam_search(lp, 0, 3).labels.empty());
  CHECK_THROWS_AS(dl::ctc_prefix_beam_search(lp, 2, 0), dl::Error);
  CHECK_THROWS_AS(dl::ctc_prefix_beam_search(lp, 3, 2), dl::Error);
  CHECK_THROWS_AS(dl::ctc_prefix_beam_search(lp, 2, 2, 2), dl::Error);
  CHECK_THROWS_AS(dl::ctc_prefix_beam_search(Tensor::zeros({2}), 2, 2), dl::ShapeError);
}
