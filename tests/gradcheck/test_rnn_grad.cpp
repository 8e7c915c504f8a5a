// Embedding and recurrent layers: backward against finite differences over
// several sequence lengths, batch sizes and layer counts.
#include <catch2/catch.hpp>

#include "dl/rnn.hpp"
#include "gradcheck_helpers.hpp"

using dl::Tensor;
using test::param;
using test::require_gradcheck;

TEST_CASE("embedding: scatter-add backward matches finite differences, repeated ids included", "[rnn][grad]") {
  dl::Generator gen(41);
  const std::vector<int> ids{3, 0, 3, 1, 4, 3};
  require_gradcheck([&](const auto& v) { return dl::embedding(v[0], ids, {2, 3}); }, {param({5, 4}, gen)});
}

TEST_CASE("rnn_cell, lstm_cell, gru_cell: one step matches finite differences", "[rnn][grad]") {
  dl::Generator gen(42);
  const int64_t B = 3, I = 4, H = 5;
  require_gradcheck([](const auto& v) { return dl::rnn_cell(v[0], v[1], v[2], v[3], v[4], v[5]); },
                    {param({B, I}, gen), param({B, H}, gen), param({H, I}, gen), param({H, H}, gen), param({H}, gen),
                     param({H}, gen)});
  for (bool want_c : {false, true}) {
    INFO("lstm output " << (want_c ? "c" : "h"));
    require_gradcheck(
        [want_c](const auto& v) {
          const dl::RecurrentState s = dl::lstm_cell(v[0], {v[1], v[2]}, v[3], v[4], v[5], v[6]);
          return want_c ? s.c : s.h;
        },
        {param({B, I}, gen), param({B, H}, gen), param({B, H}, gen), param({4 * H, I}, gen), param({4 * H, H}, gen),
         param({4 * H}, gen), param({4 * H}, gen)});
  }
  require_gradcheck([](const auto& v) { return dl::gru_cell(v[0], v[1], v[2], v[3], v[4], v[5]); },
                    {param({B, I}, gen), param({B, H}, gen), param({3 * H, I}, gen), param({3 * H, H}, gen),
                     param({3 * H}, gen), param({3 * H}, gen)});
}

TEST_CASE("RNN, LSTM, GRU stacks: gradients of inputs, states and weights match finite differences", "[rnn][grad]") {
  dl::Generator gen(43);
  struct Case {
    int64_t steps, batch, layers;
    bool batch_first;
  };
  for (const Case c : {Case{1, 2, 1, false}, Case{3, 1, 2, false}, Case{4, 2, 2, true}}) {
    INFO("T " << c.steps << " B " << c.batch << " layers " << c.layers << " batch_first " << c.batch_first);
    const dl::nn::RecurrentOptions o{.num_layers = c.layers, .batch_first = c.batch_first};
    const dl::Shape xs = c.batch_first ? dl::Shape{c.batch, c.steps, 3} : dl::Shape{c.steps, c.batch, 3};
    const dl::Shape hs{c.layers, c.batch, 4};
    dl::nn::RNN rnn(3, 4, o, gen);
    dl::nn::GRU gru(3, 4, o, gen);
    dl::nn::LSTM lstm(3, 4, o, gen);
    // The modules' own weights are passed as inputs too, so their gradients are checked in place.
    auto with_params = [](std::vector<Tensor> v, const dl::nn::Module& m) {
      for (const Tensor& p : m.parameters()) v.push_back(p);
      return v;
    };
    require_gradcheck([&](const auto& v) { return rnn.forward(v[0], v[1]).output; },
                      with_params({param(xs, gen), param(hs, gen)}, rnn));
    require_gradcheck([&](const auto& v) { return gru.forward(v[0], v[1]).h_n; },
                      with_params({param(xs, gen), param(hs, gen)}, gru));
    require_gradcheck([&](const auto& v) { return lstm.forward(v[0], {v[1], v[2]}).output + 0.5f * lstm.forward(v[0], {v[1], v[2]}).c_n.sum(); },
                      with_params({param(xs, gen), param(hs, gen), param(hs, gen)}, lstm));
  }
}

TEST_CASE("lstm_layer: fused backward matches finite differences over lengths, batches, with and without bias", "[rnn][grad]") {
  dl::Generator gen(44);
  const int64_t I = 3, H = 4;
  for (const auto [T, B, bias] : {std::tuple<int64_t, int64_t, bool>{1, 1, true}, {5, 2, true}, {12, 3, false}}) {
    INFO("T " << T << " B " << B << " bias " << bias);
    std::vector<Tensor> v{param({T, B, I}, gen), param({B, H}, gen), param({B, H}, gen), param({4 * H, I}, gen),
                          param({4 * H, H}, gen)};
    if (bias) v.insert(v.end(), {param({4 * H}, gen), param({4 * H}, gen)});
    require_gradcheck(
        [&](const auto& p) {
          const dl::RecurrentSequence s = dl::lstm_layer(p[0], {p[1], p[2]}, p[3], p[4], bias ? p[5] : Tensor(),
                                                    bias ? p[6] : Tensor());
          // Every output of the op: all hidden states, and the final cell state.
          return dl::concat({s.output.reshape({T * B, H}), s.state.c}, 0);
        },
        v);
  }
}

TEST_CASE("reverse_sequences: backward is the same permutation", "[rnn][grad]") {
  dl::Generator gen(45);
  const std::vector<int64_t> lengths{3, 1, 4};
  require_gradcheck([&](const auto& v) { return dl::reverse_sequences(v[0], lengths); }, {param({4, 3, 2}, gen)});
  require_gradcheck([&](const auto& v) { return dl::reverse_sequences(v[0]); }, {param({3, 2}, gen)});
}

TEST_CASE("bidirectional GRU and LSTM stacks with lengths: gradients match finite differences", "[rnn][grad]") {
  dl::Generator gen(46);
  const std::vector<int64_t> lengths{4, 2, 3};
  const dl::nn::RecurrentOptions o{.num_layers = 2, .bidirectional = true};
  dl::nn::GRU gru(3, 4, o, gen);
  dl::nn::LSTM lstm(3, 4, o, gen);
  auto with_params = [](std::vector<Tensor> v, const dl::nn::Module& m) {
    for (const Tensor& p : m.parameters()) v.push_back(p);
    return v;
  };
  const dl::Shape xs{4, 3, 3}, hs{4, 3, 4};
  require_gradcheck(
      [&](const auto& v) {
        const dl::nn::RecurrentOutput r = gru.forward(v[0], v[1], lengths);
        return dl::concat({r.output.reshape({-1}), r.h_n.reshape({-1})}, 0);
      },
      with_params({param(xs, gen), param(hs, gen)}, gru));
  require_gradcheck(
      [&](const auto& v) {
        const dl::nn::RecurrentOutput r = lstm.forward(v[0], {v[1], v[2]}, lengths);
        return dl::concat({r.output.reshape({-1}), r.h_n.reshape({-1}), r.c_n.reshape({-1})}, 0);
      },
      with_params({param(xs, gen), param(hs, gen), param(hs, gen)}, lstm));
}
