// Recurrent cells built from differentiable primitives (the readable reference),
// the fused LSTM layer (the fast path), and the recurrent modules.
#include "dl/rnn.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "gemm.hpp"

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

RecurrentState lstm_cell(const Tensor& x, const RecurrentState& state, const Tensor& w_ih, const Tensor& w_hh,
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


namespace {

using RowVec = Eigen::Map<const Eigen::RowVectorXf>;
using ArrSeg = Eigen::Map<Eigen::ArrayXf>;
using ConstArrSeg = Eigen::Map<const Eigen::ArrayXf>;

void check_lstm_layer(const Tensor& x, const RecurrentState& state, const Tensor& w_ih, const Tensor& w_hh,
                      const Tensor& b_ih, const Tensor& b_hh) {
  if (x.dim() != 3) throw ShapeError("lstm_layer: input must be (T,B,I), got " + to_string(x.shape()));
  if (x.size(0) == 0) throw ShapeError("lstm_layer: the sequence is empty (0 time steps)");
  const int64_t hidden = w_hh.dim() == 2 ? w_hh.size(1) : -1;
  const Shape state_shape{x.size(1), hidden};
  if (w_ih.dim() != 2 || w_hh.dim() != 2 || w_ih.size(0) != 4 * hidden || w_ih.size(1) != x.size(2) || w_hh.size(0) != 4 * hidden ||
      state.h.shape() != state_shape || state.c.shape() != state_shape)
    throw ShapeError("lstm_layer: x " + to_string(x.shape()) + ", h " + to_string(state.h.shape()) + ", c " +
                     to_string(state.c.shape()) + ", weight_ih " + to_string(w_ih.shape()) + " and weight_hh " +
                     to_string(w_hh.shape()) + " do not fit: expected x (T,B,I), h and c (B,H), weight_ih (4H,I), weight_hh (4H,H)");
  for (const Tensor* b : {&b_ih, &b_hh})
    if (b->defined() && (b->dim() != 1 || b->size(0) != 4 * hidden))
      throw ShapeError("lstm_layer: bias must be (" + std::to_string(4 * hidden) + "), got " + to_string(b->shape()));
}

}  // namespace

// [lstm-forward]
RecurrentSequence lstm_layer(const Tensor& x, const RecurrentState& state, const Tensor& w_ih, const Tensor& w_hh,
                        const Tensor& b_ih, const Tensor& b_hh) {
  // x: (T,B,I)  state: (B,H) each  ->  output (T,B,H) and the final state.
  check_lstm_layer(x, state, w_ih, w_hh, b_ih, b_hh);
  const int64_t steps = x.size(0), batch = x.size(1), in = x.size(2), hidden = w_hh.size(1), width = 4 * hidden;
  // What the backward needs: every step's gate activations (i f g o), the states
  // h_0..h_T and c_0..c_T, and tanh(c_t).
  Tensor gates = Tensor::empty({steps, batch, width});
  Tensor hs = Tensor::empty({steps + 1, batch, hidden}), cs = Tensor::empty({steps + 1, batch, hidden});
  Tensor tanh_c = Tensor::empty({steps, batch, hidden});
  std::copy_n(state.h.data(), batch * hidden, hs.data());
  std::copy_n(state.c.data(), batch * hidden, cs.data());

  // The input's share of every gate at every step does not depend on h: one GEMM for all of it.
  MatMap all_gates = as_matrix(gates, steps * batch, width);
  gemm(gates.data(), as_matrix(x, steps * batch, in), as_matrix(w_ih, width, in).transpose());
  if (b_ih.defined()) all_gates.rowwise() += RowVec(b_ih.data(), width);
  if (b_hh.defined()) all_gates.rowwise() += RowVec(b_hh.data(), width);

  const ConstMatMap w_hh_m = as_matrix(w_hh, width, hidden);
  // The per-step products are small ((B,H) x (H,4H)): split across threads they would
  // cost a synchronisation per step. They run on one thread; the large products
  // before and after the loop use all of them.
  std::optional<SingleThreadedEigen> serial(std::in_place);
  for (int64_t t = 0; t < steps; ++t) {
    // One GEMM per step adds h_{t-1}'s share to all four gates at once.
    float* g_t = gates.data() + t * batch * width;
    gemm(g_t, ConstMatMap(hs.data() + t * batch * hidden, batch, hidden), w_hh_m.transpose(), Write::add);
    for (int64_t b = 0; b < batch; ++b) {
      float* row = g_t + b * width;
      ArrSeg i(row, hidden), f(row + hidden, hidden), g(row + 2 * hidden, hidden), o(row + 3 * hidden, hidden);
      i = i.logistic();
      f = f.logistic();
      g = g.tanh();
      o = o.logistic();
      const int64_t at = (t * batch + b) * hidden;
      ArrSeg c(cs.data() + at + batch * hidden, hidden), tc(tanh_c.data() + at, hidden);
      c = f * ConstArrSeg(cs.data() + at, hidden) + i * g;  // c_t = f c_{t-1} + i g
      tc = c.tanh();
      ArrSeg(hs.data() + at + batch * hidden, hidden) = o * tc;  // h_t = o tanh(c_t)
    }
  }

  serial.reset();
  // One output for the tape: h_1..h_T followed by c_T, (T+1, B, H); sliced apart below.
  Tensor packed = Tensor::empty({steps + 1, batch, hidden});
  std::copy_n(hs.data() + batch * hidden, steps * batch * hidden, packed.data());
  std::copy_n(cs.data() + steps * batch * hidden, batch * hidden, packed.data() + steps * batch * hidden);
  // [lstm-forward]
  // [lstm-backward]
  record(packed, "lstm_layer", {x, state.h, state.c, w_ih, w_hh, b_ih, b_hh},
         [=, h0 = state.h, c0 = state.c](const Tensor&, const Tensor& dpacked) {
    Tensor dgates = Tensor::empty({steps, batch, width});  // gradient of the gate pre-activations
    Tensor dh = Tensor::zeros({batch, hidden});             // from step t+1 back into h_t
    Tensor dc = Tensor::empty({batch, hidden});             // from step t+1 back into c_t
    std::copy_n(dpacked.data() + steps * batch * hidden, batch * hidden, dc.data());
    std::optional<SingleThreadedEigen> serial(std::in_place);
    for (int64_t t = steps - 1; t >= 0; --t) {
      const float* g_t = gates.data() + t * batch * width;
      float* dg_t = dgates.data() + t * batch * width;
      for (int64_t b = 0; b < batch; ++b) {
        const float* row = g_t + b * width;
        const ConstArrSeg i(row, hidden), f(row + hidden, hidden), g(row + 2 * hidden, hidden),
            o(row + 3 * hidden, hidden);
        const int64_t at = (t * batch + b) * hidden;
        const ConstArrSeg tc(tanh_c.data() + at, hidden), c_prev(cs.data() + at, hidden);
        ArrSeg dh_b(dh.data() + b * hidden, hidden), dc_b(dc.data() + b * hidden, hidden);
        dh_b += ConstArrSeg(dpacked.data() + at, hidden);  // dL/dh_t: this step's output and the future
        dc_b += dh_b * o * (1.0f - tc.square());           // h_t = o tanh(c_t)
        float* drow = dg_t + b * width;
        ArrSeg(drow, hidden) = dc_b * g * i * (1.0f - i);                      // di, through σ
        ArrSeg(drow + hidden, hidden) = dc_b * c_prev * f * (1.0f - f);        // df, through σ
        ArrSeg(drow + 2 * hidden, hidden) = dc_b * i * (1.0f - g.square());    // dg, through tanh
        ArrSeg(drow + 3 * hidden, hidden) = dh_b * tc * o * (1.0f - o);        // do, through σ
        dc_b *= f;                                                             // c_t = f c_{t-1} + ...
      }
      // h_{t-1} reached every gate through W_hh: one GEMM back.
      gemm(dh.data(), ConstMatMap(dg_t, batch, width), w_hh_m);
    }
    serial.reset();
    // Weight and input gradients summed over all steps, one GEMM each.
    const ConstMatMap dg_all = as_matrix(std::as_const(dgates), steps * batch, width);
    if (w_hh.requires_grad())
      write_grad(grad_sink(w_hh), dg_all.transpose(), as_matrix(std::as_const(hs), steps * batch, hidden));
    if (w_ih.requires_grad()) write_grad(grad_sink(w_ih), dg_all.transpose(), as_matrix(x, steps * batch, in));
    if (x.requires_grad()) write_grad(grad_sink(x), dg_all, as_matrix(w_ih, width, in));
    for (const Tensor* bias : {&b_ih, &b_hh})
      if (bias->defined() && bias->requires_grad()) write_column_sums(grad_sink(*bias), dg_all);
    if (h0.requires_grad()) ArrMap(grad_data(h0), batch * hidden) += as_array(std::as_const(dh));
    if (c0.requires_grad()) ArrMap(grad_data(c0), batch * hidden) += as_array(std::as_const(dc));
  });
  // [lstm-backward]
  RecurrentSequence out;
  out.output = slice(packed, 0, 0, steps);
  out.state.h = slice(packed, 0, steps - 1, steps).reshape({batch, hidden});
  out.state.c = slice(packed, 0, steps, steps + 1).reshape({batch, hidden});
  return out;
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

RecurrentCell::RecurrentCell(int64_t in, int64_t hidden, bool bias, int64_t gates, Generator& gen)
    : input_size(in), hidden_size(hidden) {
  if (in <= 0 || hidden <= 0) throw ShapeError("recurrent cell: input_size and hidden_size must be positive");
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));  // PyTorch's init
  weight_ih = register_parameter("weight_ih", Tensor::uniform({gates * hidden, in}, -bound, bound, gen));
  weight_hh = register_parameter("weight_hh", Tensor::uniform({gates * hidden, hidden}, -bound, bound, gen));
  if (bias) {
    bias_ih = register_parameter("bias_ih", Tensor::uniform({gates * hidden}, -bound, bound, gen));
    bias_hh = register_parameter("bias_hh", Tensor::uniform({gates * hidden}, -bound, bound, gen));
  }
}

std::string RecurrentCell::extra_repr() const {
  return std::to_string(input_size) + ", " + std::to_string(hidden_size) + (bias_ih.defined() ? "" : ", bias=false");
}

RNNCell::RNNCell(int64_t in, int64_t hidden, bool bias, Generator& gen) : RecurrentCell(in, hidden, bias, 1, gen) {}
GRUCell::GRUCell(int64_t in, int64_t hidden, bool bias, Generator& gen) : RecurrentCell(in, hidden, bias, 3, gen) {}
LSTMCell::LSTMCell(int64_t in, int64_t hidden, bool bias, Generator& gen) : RecurrentCell(in, hidden, bias, 4, gen) {}

RecurrentState LSTMCell::forward(const Tensor& x, const RecurrentState& state) {
  if (x.dim() != 2) throw ShapeError("LSTMCell: input must be (B,I), got " + to_string(x.shape()));
  return lstm_layer(x.reshape({1, x.size(0), x.size(1)}), state, weight_ih, weight_hh, bias_ih, bias_hh).state;
}

Recurrent::Recurrent(int64_t in, int64_t hidden, RecurrentOptions opts, int64_t gates, Generator& gen)
    : input_size(in), hidden_size(hidden), options(opts) {
  if (in <= 0 || hidden <= 0 || opts.num_layers <= 0)
    throw ShapeError("recurrent layer: input_size, hidden_size and num_layers must be positive");
  if (!(opts.dropout >= 0.0f && opts.dropout < 1.0f)) throw Error("recurrent layer: dropout must be in [0, 1)");
  // PyTorch: every weight and bias uniform in ±1/sqrt(hidden_size), registered layer by
  // layer, the reverse direction's right after the forward one's.
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));
  const int64_t directions = opts.bidirectional ? 2 : 1;
  for (int64_t k = 0; k < opts.num_layers; ++k) {
    for (int64_t d = 0; d < directions; ++d) {
      const std::string l = "_l" + std::to_string(k) + (d == 1 ? "_reverse" : "");
      const int64_t layer_in = k == 0 ? in : directions * hidden;
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
}

std::string Recurrent::extra_repr() const {
  std::ostringstream s;
  s << input_size << ", " << hidden_size << ", num_layers=" << options.num_layers
    << (options.batch_first ? ", batch_first=true" : "") << (options.bidirectional ? ", bidirectional=true" : "");
  if (options.dropout > 0) s << ", dropout=" << options.dropout;
  return s.str();
}

RecurrentOutput Recurrent::run(const Tensor& x, const Tensor& h0, const Tensor& c0, std::span<const int64_t> lengths) {
  // x: (T,B,I) or (B,T,I)  h0, c0: (D*L,B,H)  ->  output (T,B,D*H) or (B,T,D*H), h_n and c_n (D*L,B,H)
  if (x.dim() != 3 || x.size(2) != input_size)
    throw ShapeError(type_name() + ": input must be " + (options.batch_first ? "(B,T,I)" : "(T,B,I)") + " with I = " +
                     std::to_string(input_size) + ", got " + to_string(x.shape()));
  const Tensor seq = options.batch_first ? transpose(x, 0, 1) : x;  // (T,B,I)
  const int64_t steps = seq.size(0), batch = seq.size(1), layers = options.num_layers;
  const int64_t directions = options.bidirectional ? 2 : 1;
  if (steps == 0) throw ShapeError(type_name() + ": the sequence is empty (0 time steps)");
  const Shape state_shape{directions * layers, batch, hidden_size};
  for (const Tensor* s : {&h0, &c0})
    if (s->defined() && s->shape() != state_shape)
      throw ShapeError(type_name() + ": initial state must be " + to_string(state_shape) + ", got " + to_string(s->shape()) +
                       (options.bidirectional ? " (2 directions x layers first)" : ""));
  if (!lengths.empty()) {
    if (static_cast<int64_t>(lengths.size()) != batch)
      throw ShapeError(type_name() + ": " + std::to_string(lengths.size()) + " lengths for a batch of " +
                       std::to_string(batch) + " sequences; need one per sequence");
    for (size_t b = 0; b < lengths.size(); ++b)
      if (lengths[b] < 1 || lengths[b] > steps)
        throw Error(type_name() + ": length " + std::to_string(lengths[b]) + " of sequence " + std::to_string(b) +
                    " is not in [1, T = " + std::to_string(steps) + "]");
  }

  Tensor layer_input = seq;
  std::vector<Tensor> last_h, last_c;
  for (int64_t k = 0; k < layers; ++k) {
    std::vector<Tensor> outputs;
    for (int64_t d = 0; d < directions; ++d) {
      const int64_t index = k * directions + d;
      const auto initial = [&](const Tensor& s) {
        return s.defined() ? slice(s, 0, index, index + 1).reshape({batch, hidden_size})
                           : Tensor::zeros({batch, hidden_size});
      };
      const RecurrentState start{initial(h0), has_cell() ? initial(c0) : Tensor()};
      // The reverse direction reads each sequence from its last valid step back to step 0,
      // and its outputs are put back in time order.
      const Tensor input = d == 1 ? reverse_sequences(layer_input, lengths) : layer_input;
      RecurrentSequence result =
          lengths.empty() ? run_layer(index, input, start) : run_layer_lengths(index, input, start, lengths);
      outputs.push_back(d == 1 ? reverse_sequences(result.output, lengths) : result.output);
      last_h.push_back(result.state.h.reshape({1, batch, hidden_size}));
      if (has_cell()) last_c.push_back(result.state.c.reshape({1, batch, hidden_size}));
    }
    layer_input = directions == 1 ? outputs[0] : concat(outputs, 2);  // (T,B,D*H)
    if (k + 1 < layers) layer_input = dropout(layer_input, options.dropout, is_training());
  }
  RecurrentOutput out;
  out.output = options.batch_first ? transpose(layer_input, 0, 1) : layer_input;
  out.h_n = concat(last_h, 0);
  if (has_cell()) out.c_n = concat(last_c, 0);
  return out;
}

RecurrentSequence Recurrent::run_layer_lengths(int64_t layer, const Tensor& seq, const RecurrentState& state,
                                               std::span<const int64_t> lengths) {
  // seq: (T,B,In)  lengths: (B)  ->  output (T,B,H); the state of column b after step lengths[b] - 1
  const int64_t steps = seq.size(0), batch = seq.size(1);
  std::vector<int64_t> ends(lengths.begin(), lengths.end());
  ends.push_back(steps);  // the steps after the longest sequence still need (unspecified) outputs
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
  std::vector<Tensor> outputs;
  RecurrentState current = state, final_state;
  int64_t begin = 0;
  for (const int64_t end : ends) {
    const RecurrentSequence piece = run_layer(layer, slice(seq, 0, begin, end), current);
    outputs.push_back(piece.output);
    current = piece.state;
    // The columns whose sequence ends here take this state: final += state * mask (B,1).
    std::vector<float> ends_here(static_cast<size_t>(batch));
    bool any = false;
    for (int64_t b = 0; b < batch; ++b) {
      ends_here[static_cast<size_t>(b)] = lengths[static_cast<size_t>(b)] == end ? 1.0f : 0.0f;
      any = any || lengths[static_cast<size_t>(b)] == end;
    }
    if (any) {
      const Tensor mask = Tensor::from_data({batch, 1}, ends_here);
      const auto take = [&](const Tensor& sum, const Tensor& s) { return sum.defined() ? sum + s * mask : s * mask; };
      final_state.h = take(final_state.h, current.h);
      if (has_cell()) final_state.c = take(final_state.c, current.c);
    }
    begin = end;
  }
  return {outputs.size() == 1 ? outputs[0] : concat(outputs, 0), final_state};
}

RecurrentSequence Recurrent::run_cell_steps(const Tensor& seq, const Tensor& h0,
                                            const std::function<Tensor(const Tensor&, const Tensor&)>& cell) const {
  // seq: (T,B,I)  h0: (B,H)  ->  output (T,B,H), final h (B,H)
  const int64_t steps = seq.size(0), batch = seq.size(1);
  Tensor h = h0;
  std::vector<Tensor> outputs;
  for (int64_t t = 0; t < steps; ++t) {
    h = cell(slice(seq, 0, t, t + 1).reshape({batch, seq.size(2)}), h);
    outputs.push_back(h.reshape({1, batch, hidden_size}));
  }
  return {concat(outputs, 0), {h, Tensor()}};
}

RNN::RNN(int64_t in, int64_t hidden, RecurrentOptions opts, Generator& gen) : Recurrent(in, hidden, opts, 1, gen) {}
RecurrentSequence RNN::run_layer(int64_t k, const Tensor& seq, const RecurrentState& state) {
  const auto& p = layers_[static_cast<size_t>(k)];
  return run_cell_steps(seq, state.h, [&](const Tensor& x, const Tensor& h) { return rnn_cell(x, h, p[0], p[1], p[2], p[3]); });
}

LSTM::LSTM(int64_t in, int64_t hidden, RecurrentOptions opts, Generator& gen) : Recurrent(in, hidden, opts, 4, gen) {}

RecurrentSequence LSTM::run_layer(int64_t k, const Tensor& seq, const RecurrentState& state) {
  const auto& p = layers_[static_cast<size_t>(k)];
  return lstm_layer(seq, state, p[0], p[1], p[2], p[3]);
}

GRU::GRU(int64_t in, int64_t hidden, RecurrentOptions opts, Generator& gen) : Recurrent(in, hidden, opts, 3, gen) {}
RecurrentSequence GRU::run_layer(int64_t k, const Tensor& seq, const RecurrentState& state) {
  const auto& p = layers_[static_cast<size_t>(k)];
  return run_cell_steps(seq, state.h, [&](const Tensor& x, const Tensor& h) { return gru_cell(x, h, p[0], p[1], p[2], p[3]); });
}

}  // namespace nn
}  // namespace dl
