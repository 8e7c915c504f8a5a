// Embeddings and recurrent layers: PyTorch's names and shapes, the fused LSTM and
// the GRU against references unrolled by hand from primitive ops, a GRU step by
// hand, and bad input.
#include <catch2/catch.hpp>
#include <cmath>

#include "../tensor_checks.hpp"
#include "dl/rnn.hpp"

using dl::Tensor;
using test::max_scaled_diff;

namespace {

// Leaf tensors uniform in [-scale, scale), marked for gradients.
Tensor leaf(const dl::Shape& shape, float scale, dl::Generator& gen) {
  Tensor t = Tensor::uniform(shape, -scale, scale, gen);
  t.requires_grad_();
  return t;
}

Tensor block(const Tensor& t, int64_t k, int64_t h) { return dl::slice(t, 1, k * h, (k + 1) * h); }

// The references: one step each, written here from the equations with primitive ops only.
dl::RecurrentState lstm_step_by_hand(const Tensor& x, const dl::RecurrentState& s, const std::vector<Tensor>& w, int64_t h) {
  const Tensor a = dl::matmul(x, dl::transpose(w[0], 0, 1)) + w[2] + dl::matmul(s.h, dl::transpose(w[1], 0, 1)) + w[3];
  const Tensor i = dl::sigmoid(block(a, 0, h)), f = dl::sigmoid(block(a, 1, h));
  const Tensor g = dl::tanh(block(a, 2, h)), o = dl::sigmoid(block(a, 3, h));
  const Tensor c = f * s.c + i * g;
  return {o * dl::tanh(c), c};
}

Tensor gru_step_by_hand(const Tensor& x, const Tensor& h_prev, const std::vector<Tensor>& w, int64_t h) {
  const Tensor a = dl::matmul(x, dl::transpose(w[0], 0, 1)) + w[2];       // x's share: r z n
  const Tensor b = dl::matmul(h_prev, dl::transpose(w[1], 0, 1)) + w[3];  // h's share: r z n
  const Tensor r = dl::sigmoid(block(a, 0, h) + block(b, 0, h)), z = dl::sigmoid(block(a, 1, h) + block(b, 1, h));
  const Tensor n = dl::tanh(block(a, 2, h) + r * block(b, 2, h));
  return (1.0f - z) * n + z * h_prev;
}

// The gradients of every leaf after `loss.backward()`, then cleared for the next run.
std::vector<Tensor> take_grads(const Tensor& loss, std::vector<Tensor>& leaves) {
  loss.backward();
  std::vector<Tensor> grads;
  for (Tensor& t : leaves) {
    grads.push_back(t.grad());
    t.zero_grad();
  }
  return grads;
}

}  // namespace

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
    dl::RecurrentState s{Tensor::zeros({2, 4}), Tensor::zeros({2, 4})};
    for (Tensor& in : inputs) {
      s = dl::lstm_cell(in, s, p[4 * layer].second, p[4 * layer + 1].second, p[4 * layer + 2].second,
                        p[4 * layer + 3].second);
      in = s.h;
    }
    CHECK(max_scaled_diff(dl::slice(out.h_n, 0, layer, layer + 1).reshape({2, 4}), s.h) <= 1e-6f);
    CHECK(max_scaled_diff(dl::slice(out.c_n, 0, layer, layer + 1).reshape({2, 4}), s.c) <= 1e-6f);
  }
  CHECK(max_scaled_diff(dl::slice(out.output, 0, 4, 5).reshape({2, 4}), inputs.back()) <= 1e-6f);
  // Batch-first gives the same numbers, transposed.
  dl::nn::LSTM first(3, 4, {.num_layers = 2, .batch_first = true});
  first.load_state_dict(lstm.state_dict());
  const Tensor y = first.forward(dl::transpose(x, 0, 1)).output;
  CHECK(y.shape() == dl::Shape{2, 5, 4});
  CHECK(dl::transpose(y, 0, 1).to_vector() == out.output.to_vector());
}

TEST_CASE("fused lstm_layer equals an LSTM unrolled by hand from primitive ops: outputs and gradients within 1e-5", "[rnn]") {
  dl::Generator gen(52);
  const int64_t I = 5, H = 6;
  for (const auto [T, B] : {std::pair<int64_t, int64_t>{1, 1}, {7, 3}, {40, 2}}) {
    INFO("T " << T << " B " << B);
    // leaves: x, h0, c0, w_ih, w_hh, b_ih, b_hh
    std::vector<Tensor> v{leaf({T, B, I}, 1.0f, gen), leaf({B, H}, 1.0f, gen), leaf({B, H}, 1.0f, gen),
                          leaf({4 * H, I}, 0.5f, gen), leaf({4 * H, H}, 0.5f, gen), leaf({4 * H}, 0.5f, gen),
                          leaf({4 * H}, 0.5f, gen)};
    // Weight every output differently so that a swapped gradient cannot cancel out.
    const Tensor r_out = Tensor::randn({T, B, H}, gen), r_h = Tensor::randn({B, H}, gen), r_c = Tensor::randn({B, H}, gen);
    const dl::RecurrentSequence fused = dl::lstm_layer(v[0], {v[1], v[2]}, v[3], v[4], v[5], v[6]);
    const Tensor fused_out = fused.output.detach(), fused_h = fused.state.h.detach(), fused_c = fused.state.c.detach();
    const auto fused_grads =
        take_grads(dl::sum(fused.output * r_out) + dl::sum(fused.state.h * r_h) + dl::sum(fused.state.c * r_c), v);

    dl::RecurrentState s{v[1], v[2]};
    std::vector<Tensor> outputs;
    for (int64_t t = 0; t < T; ++t) {
      s = lstm_step_by_hand(dl::slice(v[0], 0, t, t + 1).reshape({B, I}), s, {v[3], v[4], v[5], v[6]}, H);
      outputs.push_back(s.h.reshape({1, B, H}));
    }
    const Tensor out = dl::concat(outputs, 0);
    CHECK(max_scaled_diff(fused_out, out.detach()) <= 1e-5f);
    CHECK(max_scaled_diff(fused_h, s.h.detach()) <= 1e-5f);
    CHECK(max_scaled_diff(fused_c, s.c.detach()) <= 1e-5f);
    const auto grads = take_grads(dl::sum(out * r_out) + dl::sum(s.h * r_h) + dl::sum(s.c * r_c), v);
    const char* names[] = {"x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    for (size_t k = 0; k < v.size(); ++k) {
      INFO("gradient of " << names[k]);
      CHECK(max_scaled_diff(fused_grads[k], grads[k]) <= 1e-5f);
    }
  }
}

TEST_CASE("GRU stack equals a GRU unrolled by hand from primitive ops: outputs and gradients within 1e-5", "[rnn]") {
  dl::Generator gen(53);
  const int64_t I = 4, H = 5;
  for (const auto [T, B] : {std::pair<int64_t, int64_t>{1, 2}, {9, 3}, {30, 1}}) {
    INFO("T " << T << " B " << B);
    dl::nn::GRU gru(I, H, {}, gen);
    std::vector<Tensor> v{leaf({T, B, I}, 1.0f, gen), leaf({1, B, H}, 1.0f, gen)};
    for (const Tensor& p : gru.parameters()) v.push_back(p);
    const Tensor r_out = Tensor::randn({T, B, H}, gen);
    const Tensor out = gru.forward(v[0], v[1]).output;
    const Tensor out_value = out.detach();
    const auto grads = take_grads(dl::sum(out * r_out), v);

    Tensor h = v[1].reshape({B, H});
    std::vector<Tensor> outputs;
    for (int64_t t = 0; t < T; ++t) {
      h = gru_step_by_hand(dl::slice(v[0], 0, t, t + 1).reshape({B, I}), h, {v[2], v[3], v[4], v[5]}, H);
      outputs.push_back(h.reshape({1, B, H}));
    }
    const Tensor ref = dl::concat(outputs, 0);
    CHECK(max_scaled_diff(out_value, ref.detach()) <= 1e-5f);
    const auto ref_grads = take_grads(dl::sum(ref * r_out), v);
    for (size_t k = 0; k < v.size(); ++k) {
      INFO("gradient of leaf " << k);
      CHECK(max_scaled_diff(grads[k], ref_grads[k]) <= 1e-5f);
    }
  }
}

TEST_CASE("cell modules: PyTorch's names, and LSTMCell equals one step of the composed lstm_cell", "[rnn]") {
  dl::Generator gen(54);
  dl::nn::LSTMCell cell(3, 4, true, gen);
  std::vector<std::string> names;
  for (const auto& [name, t] : cell.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  CHECK(cell.weight_ih.shape() == dl::Shape{16, 3});
  CHECK(dl::nn::GRUCell(3, 4).weight_hh.shape() == dl::Shape{12, 4});
  CHECK(dl::nn::RNNCell(3, 4, false).parameters().size() == 2);
  const Tensor x = Tensor::randn({2, 3}, gen);
  const dl::RecurrentState s{Tensor::randn({2, 4}, gen), Tensor::randn({2, 4}, gen)};
  const dl::RecurrentState a = cell.forward(x, s);
  const dl::RecurrentState b = dl::lstm_cell(x, s, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh);
  CHECK(max_scaled_diff(a.h, b.h) <= 1e-6f);
  CHECK(max_scaled_diff(a.c, b.c) <= 1e-6f);
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
  CHECK_THROWS_WITH(dl::lstm_layer(Tensor::zeros({3, 2, 3}), {Tensor::zeros({2, 4}), Tensor::zeros({2, 4})},
                                    Tensor::zeros({12, 3}), Tensor::zeros({16, 4}), Tensor(), Tensor()),
                    Catch::Contains("[12,3]") && Catch::Contains("(4H,I)"));
  CHECK_THROWS_WITH(dl::lstm_layer(Tensor::zeros({0, 2, 3}), {Tensor::zeros({2, 4}), Tensor::zeros({2, 4})},
                                    Tensor::zeros({16, 3}), Tensor::zeros({16, 4}), Tensor(), Tensor()),
                    Catch::Contains("0 time steps"));
  CHECK_THROWS_AS(dl::nn::LSTMCell(3, 4).forward(Tensor::zeros({2, 5}), {Tensor::zeros({2, 4}), Tensor::zeros({2, 4})}),
                  dl::ShapeError);
  CHECK_THROWS_AS(dl::rnn_cell(Tensor::zeros({2, 3}), Tensor::zeros({2, 4}), Tensor::zeros({4, 2}),
                               Tensor::zeros({4, 4}), Tensor(), Tensor()),
                  dl::ShapeError);
}
