// Embeddings and recurrent layers, each step built from differentiable primitives.
#include "dl/rnn.hpp"

#include <cmath>
#include <sstream>

namespace dl {

namespace {

// x W_ih^T + b_ih + h W_hh^T + b_hh: the pre-activations of every gate at once.
Tensor gate_inputs(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                   const Tensor& b_hh) {
  return linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh);
}

// Block k of `gates` H columns wide: (B, n*H) -> (B, H).
Tensor gate(const Tensor& gates, int64_t k, int64_t hidden) { return slice(gates, 1, k * hidden, (k + 1) * hidden); }

void check_step(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, int64_t gates,
                const char* op) {
  const int64_t hidden = w_hh.dim() == 2 ? w_hh.size(1) : -1;
  if (x.dim() != 2 || h.dim() != 2 || w_ih.dim() != 2 || w_hh.dim() != 2 || w_ih.size(0) != gates * hidden ||
      w_hh.size(0) != gates * hidden || x.size(1) != w_ih.size(1) || h.size(1) != hidden || h.size(0) != x.size(0))
    throw ShapeError(std::string(op) + ": x " + to_string(x.shape()) + ", h " + to_string(h.shape()) + ", weight_ih " +
                     to_string(w_ih.shape()) + " and weight_hh " + to_string(w_hh.shape()) + " do not fit: expected x (B,I), h (B,H), weight_ih (" +
                     std::to_string(gates) + "H,I), weight_hh (" + std::to_string(gates) + "H,H)");
}

}  // namespace

Tensor rnn_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  check_step(x, h, w_ih, w_hh, 1, "rnn_cell");
  return tanh(gate_inputs(x, h, w_ih, w_hh, b_ih, b_hh));
}

LSTMState lstm_cell(const Tensor& x, const LSTMState& state, const Tensor& w_ih, const Tensor& w_hh,
                    const Tensor& b_ih, const Tensor& b_hh) {
  check_step(x, state.h, w_ih, w_hh, 4, "lstm_cell");
  if (state.c.shape() != state.h.shape())
    throw ShapeError("lstm_cell: cell state " + to_string(state.c.shape()) + " and hidden state " +
                     to_string(state.h.shape()) + " differ");
  const int64_t hidden = w_hh.size(1);
  const Tensor gates = gate_inputs(x, state.h, w_ih, w_hh, b_ih, b_hh);  // (B, 4H): i f g o
  const Tensor i = sigmoid(gate(gates, 0, hidden)), f = sigmoid(gate(gates, 1, hidden));
  const Tensor g = tanh(gate(gates, 2, hidden)), o = sigmoid(gate(gates, 3, hidden));
  const Tensor c = f * state.c + i * g;
  return {o * tanh(c), c};
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  check_step(x, h, w_ih, w_hh, 3, "gru_cell");
  const int64_t hidden = w_hh.size(1);
  const Tensor gi = linear(x, w_ih, b_ih), gh = linear(h, w_hh, b_hh);  // (B, 3H) each: r z n
  const Tensor r = sigmoid(gate(gi, 0, hidden) + gate(gh, 0, hidden));
  const Tensor z = sigmoid(gate(gi, 1, hidden) + gate(gh, 1, hidden));
  const Tensor n = tanh(gate(gi, 2, hidden) + r * gate(gh, 2, hidden));
  return (1.0f - z) * n + z * h;
}

namespace nn {

Embedding::Embedding(int64_t num, int64_t dim, int64_t padding, Generator& gen)
    : num_embeddings(num), embedding_dim(dim), padding_idx(padding) {
  if (num <= 0 || dim <= 0)
    throw ShapeError("Embedding: sizes must be positive, got " + std::to_string(num) + " x " + std::to_string(dim));
  if (padding >= num) throw ShapeError("Embedding: padding_idx " + std::to_string(padding) + " is outside the table");
  Tensor w = Tensor::randn({num, dim}, gen);
  if (padding >= 0) std::fill_n(w.data() + padding * dim, dim, 0.0f);
  weight = register_parameter("weight", w);
}

Tensor Embedding::operator()(std::span<const int> ids, const Shape& shape) {
  return embedding(weight, ids, shape, padding_idx);
}

std::string Embedding::extra_repr() const {
  return std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim) +
         (padding_idx >= 0 ? ", padding_idx=" + std::to_string(padding_idx) : "");
}

Recurrent::Recurrent(int64_t in, int64_t hidden, RecurrentOptions opts, int64_t gates, Generator& gen)
    : input_size(in), hidden_size(hidden), options(opts) {
  if (in <= 0 || hidden <= 0 || opts.num_layers <= 0)
    throw ShapeError("recurrent layer: input_size, hidden_size and num_layers must be positive");
  if (!(opts.dropout >= 0.0f && opts.dropout < 1.0f)) throw Error("recurrent layer: dropout must be in [0, 1)");
  // PyTorch: every weight and bias uniform in ±1/sqrt(hidden_size).
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));
  for (int64_t k = 0; k < opts.num_layers; ++k) {
    const std::string l = "_l" + std::to_string(k);
    const int64_t layer_in = k == 0 ? in : hidden;
    std::array<Tensor, 4> p;
    p[0] = register_parameter("weight_ih" + l, Tensor::uniform({gates * hidden, layer_in}, -bound, bound, gen));
    p[1] = register_parameter("weight_hh" + l, Tensor::uniform({gates * hidden, hidden}, -bound, bound, gen));
    if (opts.bias) {
      p[2] = register_parameter("bias_ih" + l, Tensor::uniform({gates * hidden}, -bound, bound, gen));
      p[3] = register_parameter("bias_hh" + l, Tensor::uniform({gates * hidden}, -bound, bound, gen));
    }
    layers_.push_back(p);
  }
}

std::string Recurrent::extra_repr() const {
  std::ostringstream s;
  s << input_size << ", " << hidden_size << ", num_layers=" << options.num_layers
    << (options.batch_first ? ", batch_first=true" : "");
  if (options.dropout > 0) s << ", dropout=" << options.dropout;
  return s.str();
}

RecurrentOutput Recurrent::run(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  // x: (T,B,I) or (B,T,I)  h0, c0: (L,B,H)  ->  output (T,B,H) or (B,T,H), h_n and c_n (L,B,H)
  if (x.dim() != 3 || x.size(2) != input_size)
    throw ShapeError(type_name() + ": input must be " + (options.batch_first ? "(B,T,I)" : "(T,B,I)") + " with I = " +
                     std::to_string(input_size) + ", got " + to_string(x.shape()));
  const Tensor seq = options.batch_first ? transpose(x, 0, 1) : x;  // (T,B,I)
  const int64_t steps = seq.size(0), batch = seq.size(1), layers = options.num_layers;
  if (steps == 0) throw ShapeError(type_name() + ": the sequence is empty (0 time steps)");
  const Shape state_shape{layers, batch, hidden_size};
  for (const Tensor* s : {&h0, &c0})
    if (s->defined() && s->shape() != state_shape)
      throw ShapeError(type_name() + ": initial state must be " + to_string(state_shape) + ", got " + to_string(s->shape()));

  Tensor layer_input = seq;
  std::vector<Tensor> last_h, last_c;
  for (int64_t k = 0; k < layers; ++k) {
    const auto initial = [&](const Tensor& s) {
      return s.defined() ? slice(s, 0, k, k + 1).reshape({batch, hidden_size}) : Tensor::zeros({batch, hidden_size});
    };
    LSTMState state{initial(h0), has_cell() ? initial(c0) : Tensor()};
    std::vector<Tensor> outputs;
    for (int64_t t = 0; t < steps; ++t) {
      const Tensor x_t = slice(layer_input, 0, t, t + 1).reshape({batch, layer_input.size(2)});
      state = step(k, x_t, state);
      outputs.push_back(state.h.reshape({1, batch, hidden_size}));
    }
    layer_input = concat(outputs, 0);  // (T,B,H)
    if (k + 1 < layers) layer_input = dropout(layer_input, options.dropout, is_training());
    last_h.push_back(state.h.reshape({1, batch, hidden_size}));
    if (has_cell()) last_c.push_back(state.c.reshape({1, batch, hidden_size}));
  }
  RecurrentOutput out;
  out.output = options.batch_first ? transpose(layer_input, 0, 1) : layer_input;
  out.h_n = concat(last_h, 0);
  if (has_cell()) out.c_n = concat(last_c, 0);
  return out;
}

RNN::RNN(int64_t in, int64_t hidden, RecurrentOptions opts, Generator& gen) : Recurrent(in, hidden, opts, 1, gen) {}
LSTMState RNN::step(int64_t k, const Tensor& x, const LSTMState& s) {
  const auto& p = layers_[static_cast<size_t>(k)];
  return {rnn_cell(x, s.h, p[0], p[1], p[2], p[3]), Tensor()};
}

LSTM::LSTM(int64_t in, int64_t hidden, RecurrentOptions opts, Generator& gen) : Recurrent(in, hidden, opts, 4, gen) {}
LSTMState LSTM::step(int64_t k, const Tensor& x, const LSTMState& s) {
  const auto& p = layers_[static_cast<size_t>(k)];
  return lstm_cell(x, s, p[0], p[1], p[2], p[3]);
}

GRU::GRU(int64_t in, int64_t hidden, RecurrentOptions opts, Generator& gen) : Recurrent(in, hidden, opts, 3, gen) {}
LSTMState GRU::step(int64_t k, const Tensor& x, const LSTMState& s) {
  const auto& p = layers_[static_cast<size_t>(k)];
  return {gru_cell(x, s.h, p[0], p[1], p[2], p[3]), Tensor()};
}

}  // namespace nn
}  // namespace dl
