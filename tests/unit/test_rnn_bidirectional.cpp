// Bidirectional recurrent stacks and padded batches: PyTorch's names and shapes, the
// reverse direction against a one-way layer on the reversed sequence, a padded batch
// against each sequence run alone, reverse_sequences, and bad input.
#include <catch2/catch.hpp>

#include "../tensor_checks.hpp"
#include "dl/rnn.hpp"

using dl::Tensor;
using test::max_scaled_diff;

namespace {

// Column b, steps [0, len): (len, 1, ...).
Tensor column(const Tensor& x, int64_t b, int64_t len) { return dl::slice(dl::slice(x, 1, b, b + 1), 0, 0, len); }

}  // namespace

TEST_CASE("reverse_sequences: reverses each column's first length steps and keeps the rest", "[rnn]") {
  // x[t, b] = 10 t + b, one feature
  std::vector<float> v;
  for (int t = 0; t < 4; ++t)
    for (int b = 0; b < 3; ++b) v.push_back(static_cast<float>(10 * t + b));
  const Tensor x = Tensor::from_data({4, 3, 1}, v);
  const Tensor r = dl::reverse_sequences(x, std::vector<int64_t>{4, 2, 1});
  CHECK(r.to_vector() == std::vector<float>{30, 11, 2, 20, 1, 12, 10, 21, 22, 0, 31, 32});
  // Empty lengths: everything reversed; twice is the identity.
  CHECK(dl::reverse_sequences(dl::reverse_sequences(x)).to_vector() == v);
  CHECK(dl::reverse_sequences(x).to_vector()[0] == 30.0f);
  CHECK_THROWS_AS(dl::reverse_sequences(Tensor::zeros({4})), dl::ShapeError);
  CHECK_THROWS_AS(dl::reverse_sequences(x, std::vector<int64_t>{4, 2}), dl::ShapeError);
  CHECK_THROWS_WITH(dl::reverse_sequences(x, std::vector<int64_t>{4, 0, 1}), Catch::Contains("not in [1, T = 4]"));
  CHECK_THROWS_WITH(dl::reverse_sequences(x, std::vector<int64_t>{5, 1, 1}), Catch::Contains("not in [1, T = 4]"));
}

TEST_CASE("bidirectional stacks: parameter names shapes and output shapes follow PyTorch", "[rnn]") {
  dl::nn::GRU gru(5, 4, {.num_layers = 2, .bidirectional = true});
  std::vector<std::pair<std::string, dl::Shape>> got;
  for (const auto& [name, t] : gru.named_parameters()) got.emplace_back(name, t.shape());
  const std::vector<std::pair<std::string, dl::Shape>> want = {
      {"weight_ih_l0", {12, 5}}, {"weight_hh_l0", {12, 4}}, {"bias_ih_l0", {12}}, {"bias_hh_l0", {12}},
      {"weight_ih_l0_reverse", {12, 5}}, {"weight_hh_l0_reverse", {12, 4}}, {"bias_ih_l0_reverse", {12}},
      {"bias_hh_l0_reverse", {12}},
      {"weight_ih_l1", {12, 8}}, {"weight_hh_l1", {12, 4}}, {"bias_ih_l1", {12}}, {"bias_hh_l1", {12}},
      {"weight_ih_l1_reverse", {12, 8}}, {"weight_hh_l1_reverse", {12, 4}}, {"bias_ih_l1_reverse", {12}},
      {"bias_hh_l1_reverse", {12}}};
  CHECK(got == want);
  const dl::nn::RecurrentOutput r = gru.forward(Tensor::ones({6, 3, 5}));
  CHECK(r.output.shape() == dl::Shape{6, 3, 8});
  CHECK(r.h_n.shape() == dl::Shape{4, 3, 4});
  dl::nn::LSTM lstm(5, 4, {.batch_first = true, .bidirectional = true});
  const dl::nn::RecurrentOutput l = lstm.forward(Tensor::ones({3, 6, 5}));
  CHECK(l.output.shape() == dl::Shape{3, 6, 8});
  CHECK(l.c_n.shape() == dl::Shape{2, 3, 4});
  CHECK(lstm.extra_repr().find("bidirectional=true") != std::string::npos);
}

TEST_CASE("bidirectional stacks: the reverse half is a one-way layer run over the reversed sequence", "[rnn]") {
  dl::Generator gen(91);
  dl::nn::LSTM both(3, 4, {.bidirectional = true}, gen);
  dl::nn::LSTM back(3, 4, {}, gen);
  const dl::NamedTensors from = both.named_parameters();
  for (auto& [name, p] : back.named_parameters())
    for (const auto& [other, q] : from)
      if (other == name + "_reverse") p.copy_(q);
  const Tensor x = Tensor::randn({5, 2, 3}, gen);
  const dl::nn::RecurrentOutput r = both.forward(x);
  const dl::nn::RecurrentOutput b = back.forward(dl::reverse_sequences(x));
  CHECK(max_scaled_diff(dl::slice(r.output, 2, 4, 8), dl::reverse_sequences(b.output)) < 1e-6f);
  CHECK(max_scaled_diff(dl::slice(r.h_n, 0, 1, 2), b.h_n) < 1e-6f);
  CHECK(max_scaled_diff(dl::slice(r.c_n, 0, 1, 2), b.c_n) < 1e-6f);
}

TEST_CASE("padded batches with lengths: every valid output and final state equals the sequence run alone", "[rnn]") {
  dl::Generator gen(92);
  const std::vector<int64_t> lengths{3, 6, 1, 6, 4};
  const int64_t T = 6, B = 5, I = 3, H = 4;
  for (const bool bidirectional : {false, true}) {
    dl::nn::GRU gru(I, H, {.num_layers = 2, .bidirectional = bidirectional}, gen);
    dl::nn::LSTM lstm(I, H, {.num_layers = 2, .bidirectional = bidirectional}, gen);
    const Tensor x = Tensor::randn({T, B, I}, gen);
    const int64_t D = bidirectional ? 2 : 1;
    const Tensor h0 = Tensor::randn({2 * D, B, H}, gen), c0 = Tensor::randn({2 * D, B, H}, gen);
    const dl::nn::RecurrentOutput g = gru.forward(x, h0, lengths);
    const dl::nn::RecurrentOutput l = lstm.forward(x, {h0, c0}, lengths);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = lengths[static_cast<size_t>(b)];
      INFO("bidirectional " << bidirectional << " sequence " << b << " length " << len);
      const Tensor hb = dl::slice(h0, 1, b, b + 1), cb = dl::slice(c0, 1, b, b + 1);
      const dl::nn::RecurrentOutput ga = gru.forward(column(x, b, len), hb);
      const dl::nn::RecurrentOutput la = lstm.forward(column(x, b, len), {hb, cb});
      CHECK(max_scaled_diff(column(g.output, b, len), ga.output) < 1e-5f);
      CHECK(max_scaled_diff(dl::slice(g.h_n, 1, b, b + 1), ga.h_n) < 1e-5f);
      CHECK(max_scaled_diff(column(l.output, b, len), la.output) < 1e-5f);
      CHECK(max_scaled_diff(dl::slice(l.h_n, 1, b, b + 1), la.h_n) < 1e-5f);
      CHECK(max_scaled_diff(dl::slice(l.c_n, 1, b, b + 1), la.c_n) < 1e-5f);
    }
  }
}

TEST_CASE("recurrent lengths and bidirectional states: bad input throws", "[rnn][errors]") {
  dl::nn::GRU gru(3, 4, {.num_layers = 2, .bidirectional = true});
  const Tensor x = Tensor::zeros({5, 2, 3});
  CHECK_THROWS_WITH(gru.forward(x, Tensor::zeros({2, 2, 4})), Catch::Contains("[4,2,4]") && Catch::Contains("2 directions"));
  CHECK_THROWS_WITH(gru.forward(x, {}, std::vector<int64_t>{5}), Catch::Contains("need one per sequence"));
  CHECK_THROWS_WITH(gru.forward(x, {}, std::vector<int64_t>{5, 0}), Catch::Contains("not in [1, T = 5]"));
  CHECK_THROWS_WITH(gru.forward(x, {}, std::vector<int64_t>{6, 2}), Catch::Contains("not in [1, T = 5]"));
}
