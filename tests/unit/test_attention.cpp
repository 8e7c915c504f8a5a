// The Transformer's ops and modules: values against independent computations, what
// the masks promise (a padded or future key has no influence, a fully masked row is
// zeros and not NaN), parameter names, and the errors for bad input.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "dl/attention.hpp"
#include "dl/optim.hpp"
#include "dl/rnn.hpp"
#include "dl/transformer.hpp"
#include "tensor_checks.hpp"

using dl::Shape;
using dl::Tensor;

namespace {
bool all_finite(const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t.at(i))) return false;
  return true;
}

std::vector<std::string> names_of(const dl::nn::Module& m) {
  std::vector<std::string> names;
  for (const auto& [name, t] : m.named_parameters()) names.push_back(name);
  return names;
}

// softmax(q k^T * scale) v for one (batch, head) pair, written out in double from the
// definition, with `allowed(i, j)` saying which keys query i may see.
template <class Allowed>
std::vector<double> reference_attention(const Tensor& q, const Tensor& k, const Tensor& v, Allowed allowed) {
  const int64_t pairs = q.size(0) * q.size(1), tq = q.size(2), tk = k.size(2), d = q.size(3), dv = v.size(3);
  std::vector<double> out(static_cast<size_t>(pairs * tq * dv), 0.0);
  for (int64_t p = 0; p < pairs; ++p)
    for (int64_t i = 0; i < tq; ++i) {
      std::vector<double> w(static_cast<size_t>(tk), 0.0);
      double z = 0.0;
      for (int64_t j = 0; j < tk; ++j) {
        if (!allowed(p, i, j)) continue;
        double s = 0.0;
        for (int64_t c = 0; c < d; ++c) s += double(q.at((p * tq + i) * d + c)) * k.at((p * tk + j) * d + c);
        w[size_t(j)] = std::exp(s / std::sqrt(double(d)));
        z += w[size_t(j)];
      }
      for (int64_t j = 0; j < tk; ++j)
        for (int64_t c = 0; c < dv; ++c)
          if (z > 0) out[size_t((p * tq + i) * dv + c)] += w[size_t(j)] / z * v.at((p * tk + j) * dv + c);
    }
  return out;
}
}  // namespace

// ---- layer_norm ---------------------------------------------------------------------

TEST_CASE("layer_norm: each row gets mean 0 and variance 1 before the scale and shift", "[ops]") {
  // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
  const Tensor x = Tensor::from_data({2, 4}, {1, 2, 3, 4, 10, 10, 10, 14});
  const Tensor w = Tensor::from_data({4}, {1, 2, 1, 1}), b = Tensor::from_data({4}, {0, 0, 1, 0});
  const Tensor y = dl::layer_norm(x, w, b, 1e-5f);
  const double s0 = 1.0 / std::sqrt(1.25 + 1e-5), s1 = 1.0 / std::sqrt(3.0 + 1e-5);  // row 1: mean 11, var 3
  const std::vector<double> expected{-1.5 * s0,     -0.5 * s0 * 2, 0.5 * s0 + 1, 1.5 * s0,
                                     -1 * s1,       -1 * s1 * 2,   -1 * s1 + 1,  3 * s1};
  CHECK(test::max_abs_diff(y, expected) < 1e-5);
  // A constant row has variance 0: eps keeps it finite (all zeros before the shift).
  const Tensor flat = dl::layer_norm(Tensor::full({1, 3}, 7.0f), Tensor(), Tensor(), 1e-5f);
  CHECK(test::max_abs_diff(flat, std::vector<double>{0, 0, 0}) == 0.0);
}

TEST_CASE("layer_norm: a wrong weight or bias shape is a ShapeError naming both shapes", "[ops][errors]") {
  const Tensor x = Tensor::ones({2, 3, 4});
  CHECK_THROWS_WITH(dl::layer_norm(x, Tensor::ones({3}), Tensor()),
                    Catch::Contains("layer_norm") && Catch::Contains("[2,3,4]") && Catch::Contains("weight") &&
                        Catch::Contains("[3]"));
  CHECK_THROWS_AS(dl::layer_norm(x, Tensor(), Tensor::ones({4, 1})), dl::ShapeError);
  CHECK_THROWS_AS(dl::layer_norm(Tensor::scalar(1.0f), Tensor(), Tensor()), dl::ShapeError);
  CHECK_THROWS_WITH(dl::layer_norm(x, Tensor(), Tensor(), 0.0f), Catch::Contains("eps"));
}

TEST_CASE("LayerNorm module: parameters weight and bias start at 1 and 0 and normalise the last dimension", "[nn]") {
  dl::nn::LayerNorm norm(4, 1e-12f);
  CHECK(names_of(norm) == std::vector<std::string>{"weight", "bias"});
  CHECK(norm.weight.to_vector() == std::vector<float>(4, 1.0f));
  const Tensor y = norm(Tensor::from_data({1, 4}, {1, 2, 3, 4}));
  const double s = 1.0 / std::sqrt(1.25);
  CHECK(test::max_abs_diff(y, std::vector<double>{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s}) < 1e-5);
  CHECK(dl::nn::LayerNorm(4, 1e-5f, false).num_parameters() == 0);
  CHECK_THROWS_AS(norm(Tensor::ones({2, 5})), dl::ShapeError);
  CHECK_THROWS_AS(dl::nn::LayerNorm(0), dl::ShapeError);
}

// ---- gelu -----------------------------------------------------------------------------

TEST_CASE("gelu: the tanh form follows its formula and stays within 5e-4 of the exact form", "[ops]") {
  const std::vector<float> xs{-6, -3, -1.5f, -0.5f, 0, 0.3f, 1, 2.5f, 6};
  const Tensor x = Tensor::from_data({9}, xs);
  const Tensor approx = dl::gelu(x, dl::GeluApproximate::tanh), exact = dl::gelu(x);
  std::vector<double> expected;
  for (float v : xs) {
    const double u = std::sqrt(2.0 / M_PI) * (v + 0.044715 * double(v) * v * v);
    expected.push_back(0.5 * v * (1.0 + std::tanh(u)));
  }
  CHECK(test::max_abs_diff(approx, expected) < 1e-6);
  CHECK(test::max_abs_diff(approx, exact) < 5e-4f);
  CHECK(test::max_abs_diff(approx, exact) > 0.0f);  // two different formulas, not one twice
  CHECK(dl::nn::GELU(dl::GeluApproximate::tanh)(x).to_vector() == approx.to_vector());
}

// ---- masked_softmax -----------------------------------------------------------------

TEST_CASE("masked_softmax: masked entries get exactly 0 and a fully masked row is zeros not NaN", "[ops]") {
  const float inf = INFINITY;
  const Tensor x = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor y = dl::masked_softmax(x, Tensor::from_data({2, 3}, {0, -inf, 0, -inf, -inf, -inf}));
  const double z = std::exp(1.0) + std::exp(3.0);
  CHECK(test::max_abs_diff(y, std::vector<double>{std::exp(1.0) / z, 0, std::exp(3.0) / z, 0, 0, 0}) < 1e-6);
  CHECK(y.at(1) == 0.0f);
  // A zero mask is plain softmax; a finite mask shifts the scores.
  CHECK(test::max_abs_diff(dl::masked_softmax(x, Tensor::zeros({3})), dl::softmax(x)) < 1e-7f);
  const Tensor shift = Tensor::from_data({3}, {0.5f, -1, 2});
  CHECK(test::max_abs_diff(dl::masked_softmax(x, shift), dl::softmax(x + shift)) < 1e-6f);
}

TEST_CASE("masked_softmax: a mask that does not broadcast to the scores is a ShapeError", "[ops][errors]") {
  const Tensor x = Tensor::ones({2, 3});
  CHECK_THROWS_WITH(dl::masked_softmax(x, Tensor::zeros({4})), Catch::Contains("masked_softmax") && Catch::Contains("[4]"));
  CHECK_THROWS_WITH(dl::masked_softmax(x, Tensor::zeros({5, 2, 3})), Catch::Contains("without enlarging"));
  CHECK_THROWS_AS(dl::masked_softmax(x, Tensor()), dl::Error);
}

// ---- cross_entropy with ignore_index --------------------------------------------------

TEST_CASE("cross_entropy: ignored targets add nothing and the mean is over the counted rows", "[ops]") {
  dl::Generator gen(11);
  Tensor logits = Tensor::randn({5, 4}, gen).requires_grad_();
  const std::vector<int> targets{1, -100, 3, -100, 0};
  const Tensor loss = dl::cross_entropy(logits, targets);  // -100 is ignored by default, as in PyTorch
  loss.backward();
  // The same loss from the three counted rows alone.
  Tensor kept = dl::concat({dl::slice(logits, 0, 0, 1), dl::slice(logits, 0, 2, 3), dl::slice(logits, 0, 4, 5)}).detach();
  kept.requires_grad_();
  const Tensor expected = dl::cross_entropy(kept, std::vector<int>{1, 3, 0});
  expected.backward();
  CHECK(loss.item() == Approx(expected.item()).epsilon(1e-6));
  const Tensor g = logits.grad();
  for (int64_t c = 0; c < 4; ++c) {
    CHECK(g.at(4 + c) == 0.0f);   // row 1 ignored
    CHECK(g.at(12 + c) == 0.0f);  // row 3 ignored
    CHECK(g.at(c) == Approx(kept.grad().at(c)));
    CHECK(g.at(16 + c) == Approx(kept.grad().at(8 + c)));
  }
  // Another ignored value works the same way.
  CHECK(dl::cross_entropy(logits, std::vector<int>{1, 2, 3, 2, 0}, {.ignore_index = 2}).item() ==
        Approx(expected.item()).epsilon(1e-6));
}

TEST_CASE("cross_entropy: every target ignored gives loss 0 and a zero gradient", "[ops]") {
  Tensor logits = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6}).requires_grad_();
  const Tensor loss = dl::cross_entropy(logits, std::vector<int>{-100, -100});
  CHECK(loss.item() == 0.0f);
  loss.backward();
  CHECK(logits.grad().to_vector() == std::vector<float>(6, 0.0f));
}

TEST_CASE("cross_entropy: a negative target other than ignore_index is an error naming both", "[ops][errors]") {
  const Tensor logits = Tensor::ones({2, 3});
  CHECK_THROWS_WITH(dl::cross_entropy(logits, std::vector<int>{0, -1}),
                    Catch::Contains("target -1") && Catch::Contains("ignored index -100"));
  CHECK_THROWS_AS(dl::cross_entropy(logits, std::vector<int>{0, -100}, {.ignore_index = 1}), dl::ShapeError);
}

// ---- scaled_dot_product_attention ------------------------------------------------------

TEST_CASE("scaled_dot_product_attention: matches the definition with padding and causal masks", "[ops][attention]") {
  dl::Generator gen(12);
  const int64_t batch = 2, heads = 3, t = 5, d = 4;
  const Tensor q = Tensor::randn({batch, heads, t, d}, gen), k = Tensor::randn({batch, heads, t, d}, gen);
  const Tensor v = Tensor::randn({batch, heads, t, 6}, gen);
  const std::vector<int> padding{1, 1, 1, 1, 0, 1, 1, 0, 0, 0};
  const auto pad = [&](int64_t pair, int64_t j) { return padding[size_t(pair / heads * t + j)] == 1; };

  const Tensor plain = dl::scaled_dot_product_attention(q, k, v);
  CHECK(plain.shape() == Shape{batch, heads, t, 6});
  CHECK(test::max_abs_diff(plain, reference_attention(q, k, v, [](int64_t, int64_t, int64_t) { return true; })) < 1e-5);
  const Tensor padded = dl::scaled_dot_product_attention(q, k, v, {.mask = {.key_padding = padding}});
  CHECK(test::max_abs_diff(padded, reference_attention(q, k, v, [&](int64_t p, int64_t, int64_t j) { return pad(p, j); })) < 1e-5);
  const Tensor causal = dl::scaled_dot_product_attention(q, k, v, {.mask = {.causal = true}});
  CHECK(test::max_abs_diff(causal, reference_attention(q, k, v, [](int64_t, int64_t i, int64_t j) { return j <= i; })) < 1e-5);
  const Tensor both = dl::scaled_dot_product_attention(q, k, v, {.mask = {padding, true}});
  CHECK(test::max_abs_diff(both, reference_attention(q, k, v, [&](int64_t p, int64_t i, int64_t j) { return j <= i && pad(p, j); })) < 1e-5);
}

TEST_CASE("scaled_dot_product_attention: padded and future keys have no influence on the output", "[ops][attention]") {
  dl::Generator gen(13);
  const Tensor q = Tensor::randn({1, 2, 4, 3}, gen), k = Tensor::randn({1, 2, 4, 3}, gen), v = Tensor::randn({1, 2, 4, 3}, gen);
  const std::vector<int> padding{1, 1, 0, 1};
  // Change key and value 2 (padding) wildly: the padded output must not move.
  Tensor k2 = k.clone(), v2 = v.clone();
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t c = 0; c < 3; ++c) {
      k2.data()[(h * 4 + 2) * 3 + c] = 100.0f;
      v2.data()[(h * 4 + 2) * 3 + c] = -100.0f;
    }
  const dl::AttentionOptions padded{.mask = {.key_padding = padding}};
  CHECK(test::max_abs_diff(dl::scaled_dot_product_attention(q, k, v, padded),
                           dl::scaled_dot_product_attention(q, k2, v2, padded)) == 0.0f);
  // Causal: the output at positions 0 and 1 ignores keys 2 and 3 (but position 2 does not).
  const dl::AttentionOptions causal{.mask = {.causal = true}};
  const Tensor a = dl::scaled_dot_product_attention(q, k, v, causal), b = dl::scaled_dot_product_attention(q, k2, v2, causal);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t c = 0; c < 3; ++c) {
        const int64_t at = (h * 4 + i) * 3 + c;
        if (i < 2)
          CHECK(a.at(at) == b.at(at));
        else
          CHECK(a.at(at) != b.at(at));
      }
}

TEST_CASE("scaled_dot_product_attention: a query with every key masked outputs zeros and passes no gradient", "[ops][attention]") {
  dl::Generator gen(14);
  Tensor q = Tensor::randn({2, 1, 3, 2}, gen).requires_grad_();
  Tensor k = Tensor::randn({2, 1, 3, 2}, gen).requires_grad_();
  Tensor v = Tensor::randn({2, 1, 3, 2}, gen).requires_grad_();
  const std::vector<int> padding{1, 0, 1, 0, 0, 0};  // sequence 1 is all padding
  const Tensor out = dl::scaled_dot_product_attention(q, k, v, {.mask = {.key_padding = padding}});
  REQUIRE(all_finite(out));
  for (int64_t i = 6; i < 12; ++i) CHECK(out.at(i) == 0.0f);
  dl::sum(out * out).backward();
  REQUIRE(all_finite(q.grad()));
  REQUIRE(all_finite(k.grad()));
  for (int64_t i = 6; i < 12; ++i) {
    CHECK(q.grad().at(i) == 0.0f);
    CHECK(k.grad().at(i) == 0.0f);
    CHECK(v.grad().at(i) == 0.0f);
  }
  // attention_weights shows the same: zero rows there, rows summing to 1 elsewhere.
  const Tensor w = dl::attention_weights(q, k, {.key_padding = padding});
  CHECK(w.shape() == Shape{2, 1, 3, 3});
  for (int64_t row = 0; row < 3; ++row) {
    CHECK(w.at(row * 3) + w.at(row * 3 + 1) + w.at(row * 3 + 2) == Approx(1.0f));
    CHECK(w.at(row * 3 + 1) == 0.0f);
    CHECK(w.at(9 + row * 3) + w.at(9 + row * 3 + 1) + w.at(9 + row * 3 + 2) == 0.0f);
  }
}

TEST_CASE("scaled_dot_product_attention: dropout is reproducible from its generator and keeps the mean", "[ops][attention]") {
  dl::Generator gen(15);
  const Tensor q = Tensor::randn({2, 4, 64, 4}, gen), k = Tensor::randn({2, 4, 64, 4}, gen);
  const Tensor v = Tensor::ones({2, 4, 64, 1});  // every output of plain attention is exactly 1
  dl::Generator g1(7), g2(7);
  const Tensor a = dl::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.25f, .generator = &g1});
  const Tensor b = dl::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.25f, .generator = &g2});
  CHECK(a.to_vector() == b.to_vector());
  const Tensor plain = dl::scaled_dot_product_attention(q, k, v);
  CHECK(test::max_abs_diff(a, plain) > 0.1f);
  // Survivors are scaled by 1/(1-p): the mean output stays near 1. Each of the 512 rows
  // has a standard deviation of about sqrt(p/(1-p) * sum_j p_j^2) < 0.2, so their mean
  // one below 0.01: the margin is over 5 of those.
  CHECK(dl::mean(a).item() == Approx(1.0f).margin(0.05f));
}

TEST_CASE("scaled_dot_product_attention: bad shapes and masks are refused with clear errors", "[ops][attention][errors]") {
  const Tensor q = Tensor::ones({2, 3, 4, 5}), k = Tensor::ones({2, 3, 6, 5}), v = Tensor::ones({2, 3, 6, 7});
  CHECK(dl::scaled_dot_product_attention(q, k, v).shape() == Shape{2, 3, 4, 7});
  CHECK_THROWS_WITH(dl::scaled_dot_product_attention(Tensor::ones({2, 4, 15}), k, v),
                    Catch::Contains("(B,H,T,D)") && Catch::Contains("[2,4,15]") && Catch::Contains("split the heads"));
  CHECK_THROWS_WITH(dl::scaled_dot_product_attention(q, Tensor::ones({2, 3, 6, 4}), v),
                    Catch::Contains("[2,3,4,5]") && Catch::Contains("[2,3,6,4]"));
  CHECK_THROWS_WITH(dl::scaled_dot_product_attention(q, k, Tensor::ones({2, 3, 5, 7})), Catch::Contains("one value per key"));
  const std::vector<int> short_mask{1, 1, 1};
  CHECK_THROWS_WITH(dl::scaled_dot_product_attention(q, k, v, {.mask = {.key_padding = short_mask}}),
                    Catch::Contains("3 entries") && Catch::Contains("B*S = 12"));
  const std::vector<int> bool_mask{1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1};
  CHECK_THROWS_WITH(dl::scaled_dot_product_attention(q, k, v, {.mask = {.key_padding = bool_mask}}),
                    Catch::Contains("got 2 at 5"));
  CHECK_THROWS_WITH(dl::scaled_dot_product_attention(q, k, v, {.dropout_p = 1.0f}), Catch::Contains("dropout_p"));
}

// ---- modules ----------------------------------------------------------------------------

TEST_CASE("MultiheadAttention: parameter names match the parts of a Hugging Face BERT attention", "[nn][attention]") {
  dl::nn::MultiheadAttention attn(8, 2);
  CHECK(names_of(attn) == std::vector<std::string>{"query.weight", "query.bias", "key.weight", "key.bias",
                                                   "value.weight", "value.bias", "out_proj.weight", "out_proj.bias"});
  CHECK(attn.head_dim == 4);
  CHECK(attn(Tensor::ones({3, 5, 8})).shape() == Shape{3, 5, 8});
  CHECK_THROWS_WITH(dl::nn::MultiheadAttention(10, 3), Catch::Contains("split evenly"));
  CHECK_THROWS_WITH(attn(Tensor::ones({3, 5, 6})), Catch::Contains("E = 8") && Catch::Contains("[3,5,6]"));
}

TEST_CASE("MultiheadAttention: each head attends on its own slice of the width", "[nn][attention]") {
  // With identity projections and zero biases, head h of the output is attention on
  // columns [h*D, (h+1)*D) of the input alone: compare with sdpa on those columns.
  dl::Generator gen(16);
  dl::nn::MultiheadAttention attn(4, 2);
  for (dl::nn::Linear* l : {&attn.query, &attn.key, &attn.value, &attn.out_proj}) {
    l->weight.fill_(0.0f);
    for (int64_t i = 0; i < 4; ++i) l->weight.data()[i * 4 + i] = 1.0f;
    l->bias.fill_(0.0f);
  }
  const Tensor x = Tensor::randn({1, 3, 4}, gen);
  const Tensor y = attn(x);
  for (int64_t h = 0; h < 2; ++h) {
    const Tensor part = dl::reshape(dl::slice(x, 2, 2 * h, 2 * h + 2), {1, 1, 3, 2});
    const Tensor expected = dl::scaled_dot_product_attention(part, part, part);
    CHECK(test::max_abs_diff(dl::reshape(dl::slice(y, 2, 2 * h, 2 * h + 2), {1, 1, 3, 2}), expected) < 1e-6f);
  }
  attn.keep_attention = true;
  attn(x);
  CHECK(attn.last_attention.shape() == Shape{1, 2, 3, 3});
}

TEST_CASE("TransformerEncoderLayer: names and shapes and dropout only in training", "[nn][attention]") {
  dl::Generator gen(17);
  dl::nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 16, .dropout = 0.5f}, gen);
  CHECK(names_of(layer) == std::vector<std::string>{
                               "self_attn.query.weight", "self_attn.query.bias", "self_attn.key.weight",
                               "self_attn.key.bias", "self_attn.value.weight", "self_attn.value.bias",
                               "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight", "linear1.bias",
                               "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight",
                               "norm2.bias"});
  CHECK(layer.linear1.weight.shape() == Shape{16, 8});
  const Tensor x = Tensor::randn({2, 5, 8}, gen);
  const Tensor train_a = layer(x), train_b = layer(x);
  CHECK(train_a.shape() == Shape{2, 5, 8});
  CHECK(test::max_abs_diff(train_a, train_b) > 0.0f);  // fresh dropout masks
  layer.eval();
  CHECK(layer(x).to_vector() == layer(x).to_vector());
  // Post-LN: every output row is normalised (norm2 has weight 1 and bias 0 at the start).
  const Tensor y = layer(x);
  for (int64_t r = 0; r < 10; ++r) {
    double mean = 0;
    for (int64_t c = 0; c < 8; ++c) mean += y.at(r * 8 + c) / 8.0;
    CHECK(mean == Approx(0.0).margin(1e-5));
  }
  // A padded position changes no other position's output.
  const std::vector<int> padding{1, 1, 1, 0, 1, 1, 1, 1, 1, 1};
  Tensor x2 = x.clone();
  for (int64_t c = 0; c < 8; ++c) x2.data()[3 * 8 + c] = 50.0f;
  const Tensor ya = layer(x, {.key_padding = padding}), yb = layer(x2, {.key_padding = padding});
  for (int64_t i = 0; i < 80; ++i)
    if (i / 8 != 3) CHECK(ya.at(i) == Approx(yb.at(i)).margin(1e-6));
}

TEST_CASE("TiedLinear: the output layer shares the embedding table and registers only its bias", "[nn]") {
  dl::Generator gen(18);
  dl::nn::Embedding embed(10, 4, -1, gen);
  dl::nn::TiedLinear head(embed.weight);
  CHECK(names_of(head) == std::vector<std::string>{"bias"});
  CHECK(head.bias.shape() == Shape{10});
  const Tensor x = Tensor::randn({3, 4}, gen);
  CHECK(test::max_abs_diff(head(x), dl::linear(x, embed.weight, head.bias)) == 0.0f);
  // One table: a change to the embedding shows in the output layer, and both uses add to its gradient.
  embed.weight.data()[0] += 1.0f;
  CHECK(test::max_abs_diff(head(x), dl::linear(x, embed.weight, head.bias)) == 0.0f);
  const std::vector<int> ids{2};
  dl::sum(head(embed(ids, {1}))).backward();
  // loss = sum_v (E[2] . E[v] + b[v])  =>  dE[v] = E[2] for v != 2 (output layer only),
  // dE[2] = E[2] + sum_v E[v] (output layer plus lookup)
  const Tensor& table = embed.weight;
  const Tensor grad = table.grad();
  for (int64_t c = 0; c < 4; ++c) {
    float column = 0;
    for (int64_t v = 0; v < 10; ++v) column += table.at(v * 4 + c);
    CHECK(grad.at(0 * 4 + c) == Approx(table.at(2 * 4 + c)));
    CHECK(grad.at(2 * 4 + c) == Approx(table.at(2 * 4 + c) + column));
  }
  CHECK_THROWS_AS(dl::nn::TiedLinear(Tensor::ones({4})), dl::ShapeError);
}

// ---- the parts assembled: a tiny BERT ----------------------------------------------------

namespace {
// The masked-LM model of issue 16 in miniature: word + position + token-type embeddings,
// LayerNorm, post-LN encoder layers, the prediction head's transform, and an output layer
// tied to the word embeddings.
struct TinyBert : dl::nn::Module {
  static constexpr int64_t kVocab = 12, kWidth = 16, kHeads = 2, kMaxLen = 8;
  dl::Generator gen{21};
  dl::nn::Embedding word{kVocab, kWidth, 0, gen}, position{kMaxLen, kWidth, -1, gen}, token_type{2, kWidth, -1, gen};
  dl::nn::LayerNorm embed_norm{kWidth, 1e-12f};
  dl::nn::TransformerEncoderLayer layer0{kWidth, kHeads, {.dim_feedforward = 32, .dropout = 0.0f, .layer_norm_eps = 1e-12f}, gen};
  dl::nn::TransformerEncoderLayer layer1{kWidth, kHeads, {.dim_feedforward = 32, .dropout = 0.0f, .layer_norm_eps = 1e-12f}, gen};
  dl::nn::Linear transform{kWidth, kWidth, true, gen};
  dl::nn::LayerNorm transform_norm{kWidth, 1e-12f};
  dl::nn::TiedLinear decoder{word.weight};
  TinyBert() {
    register_module("word", word);
    register_module("position", position);
    register_module("token_type", token_type);
    register_module("embed_norm", embed_norm);
    register_module("layer0", layer0);
    register_module("layer1", layer1);
    register_module("transform", transform);
    register_module("transform_norm", transform_norm);
    register_module("decoder", decoder);
  }
  // ids, padding: B*T row-major  ->  logits (B,T,V)
  Tensor forward(const std::vector<int>& ids, const std::vector<int>& padding, int64_t batch, int64_t steps) {
    std::vector<int> positions(ids.size()), types(ids.size(), 0);
    for (size_t i = 0; i < ids.size(); ++i) positions[i] = static_cast<int>(static_cast<int64_t>(i) % steps);
    const Shape shape{batch, steps};
    Tensor h = embed_norm(word(ids, shape) + position(positions, shape) + token_type(types, shape));
    h = layer1(layer0(h, {.key_padding = padding}), {.key_padding = padding});
    return decoder(transform_norm(dl::gelu(transform(h))));
  }
};
}  // namespace

TEST_CASE("a tiny BERT from these parts learns to fill a masked token from both sides", "[nn][attention]") {
  TinyBert model;
  // The tied table is stored once, under the embedding's name.
  int64_t tables = 0;
  for (const auto& [name, p] : model.named_parameters()) tables += p.impl() == model.word.weight.impl();
  CHECK(tables == 1);
  dl::optim::AdamW opt(model.parameters(), {.lr = 3e-3f, .weight_decay = 0.01f});
  dl::Generator data(22);
  constexpr int64_t kBatch = 16, kSteps = 6, kMask = 1, kFirstToken = 2, kTokens = 10;
  std::vector<float> losses;
  for (int step = 0; step < 250; ++step) {
    // Runs of consecutive tokens (mod 10) of length 4 to 6, padded with 0; one position
    // of each is replaced by [MASK] and is the only one with a label.
    std::vector<int> ids(kBatch * kSteps, 0), padding(kBatch * kSteps, 0), labels(kBatch * kSteps, -100);
    for (int64_t b = 0; b < kBatch; ++b) {
      const int64_t length = 4 + static_cast<int64_t>(data.below(3)), start = static_cast<int64_t>(data.below(kTokens));
      for (int64_t t = 0; t < length; ++t) {
        ids[size_t(b * kSteps + t)] = static_cast<int>(kFirstToken + (start + t) % kTokens);
        padding[size_t(b * kSteps + t)] = 1;
      }
      const int64_t masked = static_cast<int64_t>(data.below(static_cast<uint64_t>(length)));
      labels[size_t(b * kSteps + masked)] = ids[size_t(b * kSteps + masked)];
      ids[size_t(b * kSteps + masked)] = kMask;
    }
    model.zero_grad();
    const Tensor logits = model.forward(ids, padding, kBatch, kSteps);
    const Tensor loss = dl::cross_entropy(logits.reshape({kBatch * kSteps, TinyBert::kVocab}), labels);
    loss.backward();
    opt.step();
    losses.push_back(loss.item());
  }
  INFO("first loss " << losses.front() << ", last " << losses.back());
  CHECK(losses.front() > 2.0f);  // no better than chance at the start
  float last = 0;
  for (size_t i = losses.size() - 10; i < losses.size(); ++i) last += losses[i] / 10;
  // Without context the best is log(10) = 2.3 nats (any of the 10 tokens); the neighbours
  // on either side of the mask give the answer away.
  CHECK(last < 0.5f);
}
