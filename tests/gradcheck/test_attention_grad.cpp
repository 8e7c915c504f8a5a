// The Transformer's ops and modules against central finite differences: layer_norm,
// the tanh GELU, masked_softmax, cross-entropy with ignored targets, the fused
// scaled_dot_product_attention (masks, dropout, one tensor as q, k and v), and the
// modules built on them with their own weights checked in place.
#include <catch2/catch.hpp>
#include <cmath>

#include "dl/attention.hpp"
#include "dl/transformer.hpp"
#include "gradcheck_helpers.hpp"

using dl::Shape;
using dl::Tensor;
using test::param;
using test::require_gradcheck;

namespace {
// The module's parameters appended to `v`, so that gradcheck perturbs them in place.
std::vector<Tensor> with_params(std::vector<Tensor> v, const dl::nn::Module& m) {
  for (const Tensor& p : m.parameters()) v.push_back(p);
  return v;
}
}  // namespace

TEST_CASE("layer_norm: backward matches finite differences with and without weight and bias", "[ops][grad]") {
  dl::Generator gen(101);
  for (const Shape& s : {Shape{7}, Shape{3, 5}, Shape{2, 3, 6}}) {
    INFO(dl::to_string(s));
    const int64_t c = s.back();
    // Rows shifted away from 0 and scaled: the normalisation must remove both.
    require_gradcheck([](const auto& x) { return dl::layer_norm(x[0], x[1], x[2], 1e-5f); },
                      {param(s, gen), param({c}, gen), param({c}, gen)});
    require_gradcheck([](const auto& x) { return dl::layer_norm(x[0], Tensor(), Tensor(), 1e-5f); }, {param(s, gen)});
    require_gradcheck([](const auto& x) { return dl::layer_norm(x[0] * 3.0f + 2.0f, x[1], Tensor(), 1e-3f); },
                      {param(s, gen), param({c}, gen)});
  }
}

TEST_CASE("gelu tanh approximation: backward matches finite differences", "[ops][grad]") {
  dl::Generator gen(102);
  for (const Shape& s : {Shape{9}, Shape{4, 6}}) {
    INFO(dl::to_string(s));
    require_gradcheck([](const auto& x) { return dl::gelu(x[0], dl::GeluApproximate::tanh); },
                      {test::param_uniform(s, -4.0f, 4.0f, gen)});
  }
}

TEST_CASE("masked_softmax: gradients of scores and of a broadcast additive mask match finite differences", "[ops][grad]") {
  dl::Generator gen(103);
  // A learned-bias style mask (finite values) broadcast from (T,T) over (B,H,T,T).
  require_gradcheck([](const auto& x) { return dl::masked_softmax(x[0], x[1]); },
                    {param({2, 3, 4, 4}, gen), param({4, 4}, gen)});
  // A padding-style mask with -inf entries and one row removed entirely: those rows give 0 and no gradient.
  const float inf = INFINITY;
  const Tensor mask = Tensor::from_data({3, 4}, {0, -inf, 0, 0, -inf, -inf, -inf, -inf, 0, 0, -inf, 0});
  require_gradcheck([mask](const auto& x) { return dl::masked_softmax(x[0], mask); }, {param({2, 3, 4}, gen)});
}

TEST_CASE("cross_entropy with ignore_index: backward matches finite differences", "[ops][grad]") {
  dl::Generator gen(104);
  const std::vector<int> targets{2, -100, 0, 4, -100, 1};
  require_gradcheck([&](const auto& x) { return dl::cross_entropy(x[0], targets, {.ignore_index = -100}); },
                    {param({6, 5}, gen)});
  // Another ignored value, with label smoothing.
  const std::vector<int> with_pad{0, 3, 3, 1};
  require_gradcheck(
      [&](const auto& x) { return dl::cross_entropy(x[0], with_pad, {.label_smoothing = 0.2f, .ignore_index = 3}); },
      {param({4, 5}, gen)});
}

TEST_CASE("scaled_dot_product_attention: fused backward matches finite differences masked or not", "[ops][grad]") {
  dl::Generator gen(105);
  const std::vector<int> padding{1, 1, 1, 0, 0,   // sequence 0: 3 real keys, 2 padding
                                 1, 1, 1, 1, 1};  // sequence 1: all real
  const std::vector<int> all_padding{1, 1, 0, 1, 0, 0, 0, 0, 0, 0};  // sequence 1: every key masked
  struct Case {
    const char* name;
    dl::AttentionMask mask;
    int64_t tq;
  };
  for (const Case& c : {Case{"no mask", {}, 5}, Case{"padding", {.key_padding = padding}, 5},
                        Case{"causal", {.causal = true}, 5}, Case{"padding and causal", {padding, true}, 5},
                        Case{"fully padded sequence", {.key_padding = all_padding}, 5},
                        Case{"fewer queries than keys", {.key_padding = padding}, 3}}) {
    INFO(c.name);
    const dl::AttentionMask mask = c.mask;
    require_gradcheck(
        [mask](const auto& x) { return dl::scaled_dot_product_attention(x[0], x[1], x[2], {.mask = mask}); },
        {param({2, 2, c.tq, 3}, gen), param({2, 2, 5, 3}, gen), param({2, 2, 5, 4}, gen)});
  }
}

TEST_CASE("scaled_dot_product_attention: one tensor as q and k and v accumulates all three gradients", "[ops][grad]") {
  dl::Generator gen(106);
  require_gradcheck([](const auto& x) { return dl::scaled_dot_product_attention(x[0], x[0], x[0], {.scale = 0.7f}); },
                    {param({1, 2, 4, 3}, gen)});
}

TEST_CASE("scaled_dot_product_attention: dropout backward matches finite differences for a fixed mask", "[ops][grad]") {
  dl::Generator gen(107);
  // A generator re-seeded on every call draws the same dropout mask each time.
  require_gradcheck(
      [](const auto& x) {
        dl::Generator drop(9);
        return dl::scaled_dot_product_attention(x[0], x[1], x[2], {.dropout_p = 0.3f, .generator = &drop});
      },
      {param({2, 1, 4, 3}, gen), param({2, 1, 4, 3}, gen), param({2, 1, 4, 2}, gen)});
}

TEST_CASE("LayerNorm and TiedLinear modules: gradients of input and parameters match finite differences", "[nn][grad]") {
  dl::Generator gen(108);
  dl::nn::LayerNorm norm(6);
  norm.weight.copy_(Tensor::randn({6}, gen));  // not the initial ones: a wrong dweight would hide behind 1
  require_gradcheck([&](const auto& v) { return norm(v[0]); }, with_params({param({2, 3, 6}, gen)}, norm));
  Tensor table = param({7, 4}, gen);
  dl::nn::TiedLinear head(table);
  head.bias.copy_(Tensor::randn({7}, gen));
  // The table reaches the loss through the lookup's rows too, as in a tied language model.
  const std::vector<int> ids{3, 0, 3};
  require_gradcheck([&](const auto& v) { return head(dl::embedding(v[0], ids, {3})) ; },
                    with_params({table}, head));
}

TEST_CASE("MultiheadAttention: gradients of inputs and all projections match finite differences", "[nn][grad]") {
  dl::Generator gen(109);
  dl::nn::MultiheadAttention attn(6, 2, 0.0f, true, gen);
  const std::vector<int> padding{1, 1, 1, 0, 1, 1, 1, 1};
  require_gradcheck([&](const auto& v) { return attn(v[0], {.key_padding = padding}); },
                    with_params({param({2, 4, 6}, gen)}, attn));
  // Cross-attention: 3 queries over 4 keys and values.
  require_gradcheck([&](const auto& v) { return attn.forward(v[0], v[1], v[2], {.key_padding = padding}); },
                    {param({2, 3, 6}, gen), param({2, 4, 6}, gen), param({2, 4, 6}, gen)});
}

TEST_CASE("TransformerEncoderLayer post-LN and pre-LN: gradients match finite differences", "[nn][grad]") {
  for (const bool norm_first : {false, true}) {
    INFO("norm_first " << norm_first);
    dl::Generator gen(110);
    dl::nn::TransformerEncoderLayer layer(4, 2, {.dim_feedforward = 8, .dropout = 0.0f, .norm_first = norm_first}, gen);
    const std::vector<int> padding{1, 1, 0, 1, 1, 1};
    require_gradcheck([&](const auto& v) { return layer(v[0], {.key_padding = padding}); },
                      with_params({param({2, 3, 4}, gen)}, layer));
  }
}
