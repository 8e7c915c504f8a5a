// CTC loss: its backward is the true gradient with respect to arbitrary (unnormalised)
// log-probabilities, for every reduction, variable lengths, repeats and empty targets.
#include <catch2/catch.hpp>

#include "dl/ctc.hpp"
#include "gradcheck_helpers.hpp"

using dl::Tensor;
using test::require_gradcheck;

TEST_CASE("ctc_loss: backward matches finite differences on unnormalised inputs for each reduction", "[ctc][grad]") {
  dl::Generator gen(71);
  // Targets [1 2], [3 3] (a repeat), [] and [2 1 2]; input lengths below and at T.
  const std::vector<int> targets{1, 2, 3, 3, 2, 1, 2};
  const std::vector<int64_t> in{5, 6, 3, 6}, tl{2, 2, 0, 3};
  for (const auto reduction : {dl::CtcReduction::none, dl::CtcReduction::sum, dl::CtcReduction::mean}) {
    for (const int blank : {0, 4}) {
      INFO("reduction " << static_cast<int>(reduction) << " blank " << blank);
      std::vector<int> t = targets;
      if (blank == 4) t = {1, 2, 3, 3, 2, 1, 0};  // relabelled so that none is the blank
      // Log-probabilities that are not normalised: the gradient must not assume they are.
      Tensor lp = test::param_uniform({6, 4, 5}, -2.0f, 0.0f, gen);
      require_gradcheck(
          [&](const auto& v) { return dl::ctc_loss(v[0], t, in, tl, {.blank = blank, .reduction = reduction}); }, {lp});
    }
  }
}

TEST_CASE("ctc_loss after log_softmax: gradient of the logits matches finite differences", "[ctc][grad]") {
  dl::Generator gen(72);
  const std::vector<int> targets{1, 1, 2, 3};
  const std::vector<int64_t> in{7, 4}, tl{3, 1};
  require_gradcheck(
      [&](const auto& v) { return dl::ctc_loss(dl::log_softmax(v[0], -1), targets, in, tl); },
      {test::param({7, 2, 4}, gen)});
}
