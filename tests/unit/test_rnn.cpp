// Embeddings and recurrent layers: PyTorch's names and shapes, the stack against
// its own steps unrolled by hand, a GRU step by hand, and bad input.
#include <catch2/catch.hpp>
#include <cmath>

#include "dl/rnn.hpp"

using dl::Tensor;

TEST_CASE("recurrent layers: parameter names and shapes follow PyTorch", "[rnn]") {
  dl::nn::LSTM lstm(10, 20, {.num_layers = 2});
  std::vector<std::pair<std::string, dl::Shape>> got;
  for (const auto& [name, t] : lstm.named_parameters()) got.emplace_back(name, t.shape());
  const std::vector<std::pair<std::string, dl::Shape>> want = {
      {"weight_ih_l0", {80, 10}}, {"weight_hh_l0", {80, 20}}, {"bias_ih_l0", {80}}, {"bias_hh_l0", {80}},
      {"weight_ih_l1", {80, 20}}, {"weight_hh_l1", {80, 20}}, {"bias_ih_l1", {80}}, {"bias_hh_l1", {80}}};
  CHECK(got == want);
  CHECK(dl::nn::GRU(3, 5).named_parameters()[0].second.shape() == dl::Shape{15, 3});
  CHECK(dl::nn::RNN(3, 5, {.bias = false}).named_parameters().size() == 2);
  for (float v : lstm.named_parameters()[0].second.to_vector()) CHECK(std::abs(v) <= 1.0f / std::sqrt(20.0f));
}

TEST_CASE("LSTM stack: equals its cells unrolled by hand, batch-first or not", "[rnn]") {
  dl::Generator gen(51);
  dl::nn::LSTM lstm(3, 4, {.num_layers = 2}, gen);
  const Tensor x = Tensor::randn({5, 2, 3}, gen);  // (T,B,I)
  const dl::nn::RecurrentOutput out = lstm.forward(x);
  // By hand: layer 0 over time, then layer 1 over layer 0's outputs.
  const auto p = lstm.named_parameters();
  std::vector<Tensor> inputs;
  for (int64_t t = 0; t < 5; ++t) inputs.push_back(dl::slice(x, 0, t, t + 1).reshape({2, 3}));
  for (int layer = 0; layer < 2; ++layer) {
    dl::LSTMState s{Tensor::zeros({2, 4}), Tensor::zeros({2, 4})};
    for (Tensor& in : inputs) {
      s = dl::lstm_cell(in, s, p[4 * layer].second, p[4 * layer + 1].second, p[4 * layer + 2].second,
                        p[4 * layer + 3].second);
      in = s.h;
    }
    CHECK(dl::slice(out.h_n, 0, layer, layer + 1).to_vector() == s.h.to_vector());
    CHECK(dl::slice(out.c_n, 0, layer, layer + 1).to_vector() == s.c.to_vector());
  }
  CHECK(dl::slice(out.output, 0, 4, 5).to_vector() == inputs.back().to_vector());
  // Batch-first gives the same numbers, transposed.
  dl::nn::LSTM first(3, 4, {.num_layers = 2, .batch_first = true});
  first.load_state_dict(lstm.state_dict());
  const Tensor y = first.forward(dl::transpose(x, 0, 1)).output;
  CHECK(y.shape() == dl::Shape{2, 5, 4});
  CHECK(dl::transpose(y, 0, 1).to_vector() == out.output.to_vector());
}

TEST_CASE("gru_cell: one step by hand with PyTorch's (r, z, n) layout", "[rnn]") {
  // One unit, one input: gate rows are r, z, n.
  const Tensor x = Tensor::from_data({1, 1}, {0.5f}), h = Tensor::from_data({1, 1}, {-1.0f});
  const Tensor w_ih = Tensor::from_data({3, 1}, {1, 2, 3}), w_hh = Tensor::from_data({3, 1}, {0.5f, -1, 2});
  const Tensor b_ih = Tensor::from_data({3}, {0, 0.1f, 0}), b_hh = Tensor::from_data({3}, {0.2f, 0, -0.3f});
  const auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const double r = sig(0.5 * 1 + 0 + -1 * 0.5 + 0.2), z = sig(0.5 * 2 + 0.1 + -1 * -1 + 0);
  const double n = std::tanh(0.5 * 3 + 0 + r * (-1 * 2 - 0.3));
  CHECK(dl::gru_cell(x, h, w_ih, w_hh, b_ih, b_hh).item() == Approx((1 - z) * n + z * -1.0).epsilon(1e-6));
}

TEST_CASE("embedding: looks rows up, gives the padding row no gradient, rejects bad ids", "[rnn]") {
  dl::nn::Embedding emb(4, 3, /*padding_idx=*/0);
  CHECK(emb.weight.to_vector()[0] == 0.0f);
  const std::vector<int> ids{2, 0, 2};
  const Tensor out = emb(ids, {1, 3});
  CHECK(out.shape() == dl::Shape{1, 3, 3});
  CHECK(dl::slice(out, 1, 0, 1).to_vector() == dl::slice(emb.weight, 0, 2, 3).to_vector());
  dl::sum(out).backward();
  const std::vector<float> g = emb.weight.grad().to_vector();
  CHECK(g[0] == 0.0f);      // padding row
  CHECK(g[2 * 3] == 2.0f);  // row 2 used twice
  CHECK(g[1 * 3] == 0.0f);  // row 1 unused
  CHECK_THROWS_WITH(emb(std::vector<int>{4}, {1}), Catch::Contains("index 4") && Catch::Contains("[0, 4)"));
  CHECK_THROWS_AS(emb(std::vector<int>{1, 2}, {3}), dl::ShapeError);
}

TEST_CASE("recurrent layers: wrong input, state shapes and empty sequences throw ShapeError", "[rnn][errors]") {
  dl::nn::GRU gru(3, 4, {.num_layers = 2});
  CHECK_THROWS_WITH(gru.forward(Tensor::zeros({5, 2, 7})), Catch::Contains("I = 3") && Catch::Contains("[5,2,7]"));
  CHECK_THROWS_WITH(gru.forward(Tensor::zeros({5, 2, 3}), Tensor::zeros({1, 2, 4})), Catch::Contains("[2,2,4]"));
  CHECK_THROWS_WITH(gru.forward(Tensor::zeros({0, 2, 3})), Catch::Contains("0 time steps"));
  CHECK_THROWS_AS(dl::lstm_cell(Tensor::zeros({2, 3}), {Tensor::zeros({2, 4}), Tensor::zeros({2, 5})},
                                Tensor::zeros({16, 3}), Tensor::zeros({16, 4}), Tensor(), Tensor()),
                  dl::ShapeError);
  CHECK_THROWS_AS(dl::rnn_cell(Tensor::zeros({2, 3}), Tensor::zeros({2, 4}), Tensor::zeros({4, 2}),
                               Tensor::zeros({4, 4}), Tensor(), Tensor()),
                  dl::ShapeError);
}
