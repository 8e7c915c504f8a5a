/// @file rnn.hpp
/// @brief Embeddings and recurrent layers (RNN, LSTM, GRU) with PyTorch's gate
/// order and parameter names, so weights map one to one.
///
/// Shapes: T time steps, B batch, I input size, H hidden size, L layers.
/// Sequences are (T, B, I), or (B, T, I) with `batch_first`; states are (L, B, H).
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <span>

#include "dl/nn.hpp"

namespace dl {

/// @name One time step of each cell, from primitive ops (autograd handles the backward)
/// @{

/// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).  x: (B,I)  h: (B,H)  W_ih: (H,I)  W_hh: (H,H)  -> (B,H)
Tensor rnn_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh);

/// The state a recurrent network carries from step to step: the hidden state h of
/// every kind, and the cell state c of an LSTM (undefined for an RNN or a GRU).
struct RecurrentState {
  Tensor h;  ///< hidden state (B,H) for a cell, (L,B,H) for a layer stack
  Tensor c;  ///< cell state of an LSTM, same shape as h; undefined for an RNN or GRU
};

/// LSTM step with gates in PyTorch's order (i, f, g, o):
/// [i f g o] = x W_ih^T + b_ih + h W_hh^T + b_hh;  c' = σ(f) c + σ(i) tanh(g);  h' = σ(o) tanh(c').
/// x: (B,I)  state: (B,H) each  W_ih: (4H,I)  W_hh: (4H,H)
RecurrentState lstm_cell(const Tensor& x, const RecurrentState& state, const Tensor& w_ih, const Tensor& w_hh,
                    const Tensor& b_ih, const Tensor& b_hh);

/// An LSTM layer's outputs over a whole sequence.
struct RecurrentSequence {
  Tensor output;    ///< h_1..h_T: (T,B,H)
  RecurrentState state;  ///< h_T and c_T: (B,H) each
};

/// A whole LSTM layer, fused: the same result as `lstm_cell` applied step by step,
/// computed with one GEMM for the input's share of every gate at every step, one
/// GEMM per step for h's share of all four gates, and a hand-written backward
/// through time that sums the weight gradients of all steps in one GEMM each.
/// x: (T,B,I)  state: (B,H) each  W_ih: (4H,I)  W_hh: (4H,H)  biases (4H) or undefined.
RecurrentSequence lstm_layer(const Tensor& x, const RecurrentState& state, const Tensor& w_ih, const Tensor& w_hh,
                        const Tensor& b_ih, const Tensor& b_hh);

/// GRU step with gates in PyTorch's order (r, z, n):
/// r = σ(x W_ir + b_ir + h W_hr + b_hr);  z likewise;  n = tanh(x W_in + b_in + r (h W_hn + b_hn));
/// h' = (1 - z) n + z h.   x: (B,I)  h: (B,H)  W_ih: (3H,I)  W_hh: (3H,H)
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh);
/// @}

namespace nn {

/// A table of learned vectors, one row per token id.  weight: (V, D), initialised N(0, 1)
/// like PyTorch, with the `padding_idx` row (if any) zero and never updated.
class Embedding : public Module {
 public:
  /// `num_embeddings` rows of size `embedding_dim`.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, int64_t padding_idx = -1,
            Generator& gen = default_generator());
  /// The rows of `ids` (laid out as `shape`): -> (shape..., D).
  Tensor operator()(std::span<const int> ids, const Shape& shape);
  std::string type_name() const override { return "Embedding"; }
  std::string extra_repr() const override;
  int64_t num_embeddings;  ///< V, rows of the table
  int64_t embedding_dim;   ///< D, length of each row
  int64_t padding_idx;     ///< the row that gets no gradient (-1: none)
  Tensor weight;           ///< (V, D)
};

/// One step of a recurrent cell, as a module holding `weight_ih`, `weight_hh`,
/// `bias_ih` and `bias_hh` (PyTorch's names for RNNCell, LSTMCell and GRUCell),
/// `gates * H` rows each, initialised U(±1/sqrt(H)).
class RecurrentCell : public Module {
 public:
  std::string extra_repr() const override;
  int64_t input_size;   ///< I
  int64_t hidden_size;  ///< H
  Tensor weight_ih;     ///< (gates*H, I)
  Tensor weight_hh;     ///< (gates*H, H)
  Tensor bias_ih;       ///< (gates*H), undefined without bias
  Tensor bias_hh;       ///< (gates*H), undefined without bias

 protected:
  /// Registers the four parameters, `gates * hidden_size` rows each, drawn U(±1/sqrt(H)) from `gen`.
  RecurrentCell(int64_t input_size, int64_t hidden_size, bool bias, int64_t gates, Generator& gen);
};

/// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), one step.
class RNNCell : public RecurrentCell {
 public:
  /// `input_size` -> `hidden_size`.
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, Generator& gen = default_generator());
  /// x: (B,I)  h: (B,H)  ->  h' (B,H)
  Tensor forward(const Tensor& x, const Tensor& h) { return rnn_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh); }
  std::string type_name() const override { return "RNNCell"; }
};

/// One LSTM step (the fused kernel run for a single step).
class LSTMCell : public RecurrentCell {
 public:
  /// `input_size` -> `hidden_size`.
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true, Generator& gen = default_generator());
  /// x: (B,I)  state: (B,H) each  ->  the next state
  RecurrentState forward(const Tensor& x, const RecurrentState& state);
  std::string type_name() const override { return "LSTMCell"; }
};

/// One GRU step.
class GRUCell : public RecurrentCell {
 public:
  /// `input_size` -> `hidden_size`.
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true, Generator& gen = default_generator());
  /// x: (B,I)  h: (B,H)  ->  h' (B,H)
  Tensor forward(const Tensor& x, const Tensor& h) { return gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh); }
  std::string type_name() const override { return "GRUCell"; }
};

/// Settings of the multi-layer recurrent modules.
struct RecurrentOptions {
  int64_t num_layers = 1;   ///< stacked layers; layer k > 0 reads layer k-1's outputs
  bool batch_first = false; ///< sequences are (B, T, I) instead of (T, B, I)
  float dropout = 0.0f;     ///< dropout between layers (not after the last), in training mode
  bool bias = true;         ///< learned biases b_ih and b_hh
  /// A second stack of weights (`weight_ih_l{k}_reverse`, ...) reads each sequence backwards;
  /// the output holds both directions' hidden states, forward first: (T,B,2H). Layer k > 0
  /// reads 2H inputs, and the states are (2L,B,H), ordered (layer 0 forward, layer 0
  /// reverse, layer 1 forward, ...) like PyTorch's.
  bool bidirectional = false;
};

/// What a recurrent stack returns.
struct RecurrentOutput {
  /// The last layer's hidden state at every step: (T,B,D*H), or (B,T,D*H) batch-first, with
  /// D = 2 directions (forward half first) when bidirectional, else 1. With `lengths`, the
  /// steps at and after a sequence's length hold unspecified values.
  Tensor output;
  Tensor h_n;     ///< every layer's (and direction's) final hidden state: (D*L,B,H)
  Tensor c_n;     ///< every layer's (and direction's) final cell state (LSTM only): (D*L,B,H)
};

/// Shared base of RNN, LSTM and GRU: parameters `weight_ih_l{k}`, `weight_hh_l{k}`,
/// `bias_ih_l{k}`, `bias_hh_l{k}` with `gates * H` rows, initialised U(±1/sqrt(H)), and
/// the same with the suffix `_reverse` for the reverse direction when bidirectional.
class Recurrent : public Module {
 public:
  /// Runs the stack over `x`; missing initial states ((D*L,B,H)) start at zero.
  ///
  /// `lengths` (optional, one per batch column, each in [1,T]) makes a padded batch behave
  /// like PyTorch's packed sequences: the reverse direction reads column b backwards from
  /// its step lengths[b] - 1 (through `reverse_sequences`), and h_n / c_n hold each
  /// direction's state after the sequence's last valid step (forward: step lengths[b] - 1;
  /// reverse: step 0). Outputs at steps >= lengths[b] are unspecified. The stack then runs
  /// in one piece per distinct length, so that the state at each length can be read off.
  RecurrentOutput run(const Tensor& x, const Tensor& h0 = {}, const Tensor& c0 = {},
                      std::span<const int64_t> lengths = {});
  std::string extra_repr() const override;
  int64_t input_size;        ///< I
  int64_t hidden_size;       ///< H
  RecurrentOptions options;         ///< layers, batch_first, dropout, bias, bidirectional

 protected:
  /// `gates` blocks of H rows per weight: 1 (RNN), 4 (LSTM), 3 (GRU).
  Recurrent(int64_t input_size, int64_t hidden_size, RecurrentOptions options, int64_t gates, Generator& gen);
  /// One direction of one layer over the whole sequence (T,B,In) from `state` ((B,H) each);
  /// `layer` indexes `layers_`: layer k's direction d (0 forward, 1 reverse) is k * D + d.
  virtual RecurrentSequence run_layer(int64_t layer, const Tensor& seq, const RecurrentState& state) = 0;
  /// `run_layer` for the cells with a hidden state only (RNN, GRU): `cell(x_t, h)` in a loop over t.
  RecurrentSequence run_cell_steps(const Tensor& seq, const Tensor& h0,
                                   const std::function<Tensor(const Tensor& x, const Tensor& h)>& cell) const;
  /// Whether the state has a cell part (LSTM).
  virtual bool has_cell() const { return false; }
  std::vector<std::array<Tensor, 4>> layers_;  ///< per layer and direction (k * D + d): w_ih, w_hh, b_ih, b_hh

 private:
  /// `run_layer` for a padded batch: one call per distinct length, the final state of each
  /// column taken after its own last valid step.
  RecurrentSequence run_layer_lengths(int64_t layer, const Tensor& seq, const RecurrentState& state,
                                      std::span<const int64_t> lengths);
};

/// Elman RNN with tanh.
class RNN : public Recurrent {
 public:
  /// `input_size` -> `hidden_size`.
  RNN(int64_t input_size, int64_t hidden_size, RecurrentOptions options = {}, Generator& gen = default_generator());
  /// Runs over `x` from `h0` (zeros when undefined); `lengths` as in `run`.
  RecurrentOutput forward(const Tensor& x, const Tensor& h0 = {}, std::span<const int64_t> lengths = {}) {
    return run(x, h0, {}, lengths);
  }
  std::string type_name() const override { return "RNN"; }

 private:
  RecurrentSequence run_layer(int64_t layer, const Tensor& seq, const RecurrentState& state) override;
};

/// Long short-term memory; each layer runs the fused `lstm_layer`.
class LSTM : public Recurrent {
 public:
  /// `input_size` -> `hidden_size`.
  LSTM(int64_t input_size, int64_t hidden_size, RecurrentOptions options = {}, Generator& gen = default_generator());
  /// Runs over `x` from (h0, c0) (zeros when undefined); `lengths` as in `run`.
  RecurrentOutput forward(const Tensor& x, const RecurrentState& state = {}, std::span<const int64_t> lengths = {}) {
    return run(x, state.h, state.c, lengths);
  }
  std::string type_name() const override { return "LSTM"; }

 private:
  RecurrentSequence run_layer(int64_t layer, const Tensor& seq, const RecurrentState& state) override;
  bool has_cell() const override { return true; }
};

/// Gated recurrent unit.
class GRU : public Recurrent {
 public:
  /// `input_size` -> `hidden_size`.
  GRU(int64_t input_size, int64_t hidden_size, RecurrentOptions options = {}, Generator& gen = default_generator());
  /// Runs over `x` from `h0` (zeros when undefined); `lengths` as in `run`.
  RecurrentOutput forward(const Tensor& x, const Tensor& h0 = {}, std::span<const int64_t> lengths = {}) {
    return run(x, h0, {}, lengths);
  }
  std::string type_name() const override { return "GRU"; }

 private:
  RecurrentSequence run_layer(int64_t layer, const Tensor& seq, const RecurrentState& state) override;
};

}  // namespace nn
}  // namespace dl
