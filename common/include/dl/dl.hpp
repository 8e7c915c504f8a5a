/// @file dl.hpp
/// @brief The `dl` library in one include (`#include <dl/dl.hpp>`), and the map of
/// where each thing lives.
///
/// `dl` is what the lessons teach: tensors, autograd, ops, layers, optimisers, data.
/// What programs need around it (flags, result files, progress bars) is `dl::app`
/// (`app/`, `#include <dl/app.hpp>`). Each header's code is in `common/src/` under the
/// same name unless the table says otherwise.
///
/// | header | what it holds | source |
/// |---|---|---|
/// | `error.hpp` | `Error`, `ShapeError`, `FileError`, `NonFiniteError`, `NotImplemented` | — |
/// | `random.hpp` | `Generator`, `manual_seed` | `random.cpp` |
/// | `threads.hpp` | `set_num_threads`, which BLAS runs the products | `threads.cpp` (and the private `gemm.hpp`) |
/// | `tensor.hpp` | `Tensor`, `Shape`, `no_grad` | `tensor.cpp` |
/// | `autograd.hpp` | the tape: how an op records its backward | `autograd.cpp` |
/// | `ops.hpp` | elementwise, activations (`gelu`, `masked_softmax`, ...), reductions, `matmul`, `linear`, shape ops, `layer_norm` and its kernels, losses, `embedding`, `dropout` | `ops_<family>.cpp`, named in the header's groups |
/// | `attention.hpp` | `scaled_dot_product_attention` (fused, with padding and causal masks), `attention_weights` | `ops_attention.cpp` |
/// | `conv.hpp` | `conv2d`, pooling, `batch_norm2d` and their kernels | `ops_conv.cpp`, `ops_pool.cpp`, `ops_norm.cpp` |
/// | `ctc.hpp` | `ctc_loss`, `ctc_greedy_decode`, `ctc_prefix_beam_search`, `ctc_collapse` | `ops_ctc.cpp` |
/// | `rnn.hpp` | RNN/LSTM/GRU cells, the fused `lstm_layer`, `Embedding`, `RNN`, `LSTM`, `GRU` | `rnn.cpp` |
/// | `nn.hpp` | `Module`, `Layer`, `Linear`, `Conv2d`, pooling, `BatchNorm2d`, `LayerNorm`, `TiedLinear`, `Dropout`, `Sequential`, `summary` | `nn.cpp` |
/// | `transformer.hpp` | `MultiheadAttention`, `TransformerEncoderLayer` | `transformer.cpp` |
/// | `optim.hpp` | `SGD`, `Adam`, `AdamW`, `clip_grad_norm`, `cosine_lr` | `optim.cpp` |
/// | `train.hpp` | `fit_classifier`, `evaluate_classifier` | `train.cpp` |
/// | `data.hpp` | IDX files, Fashion-MNIST, `DataLoader` | `data.cpp` |
/// | `text.hpp`, `utf8.hpp` | fortune files, `CharVocab`, UTF-8 | `text.cpp`, `utf8.cpp` |
/// | `tokenize.hpp` | GPT-2's byte-level BPE and its trainer, BERT's WordPiece | `tokenize_bpe.cpp`, `tokenize_wordpiece.cpp` (Unicode from ICU: private `unicode.hpp`) |
/// | `audio.hpp` | `Audio`, `read_audio`, `write_wav`, `hann_window`, `mel_filter_bank`, `power_spectrogram`, `log_mel_spectrogram` (chapter 07) | `audio.cpp` (libsndfile, libsamplerate, FFTW) |
/// | `metrics.hpp` | `confusion_matrix`, `macro_f1`, `calibration_bins`, `expected_calibration_error` (chapter 06) | `metrics.cpp` |
/// | `io.hpp` | safetensors checkpoints, atomic file writes | `io.cpp` |
/// | `gradcheck.hpp` | finite-difference gradient checks | `gradcheck.cpp` |
/// | `memory.hpp` | the caching allocator behind tensor storage | `memory.cpp` |
/// | `eigen.hpp` | Eigen views of tensors, for kernels (not included here: slow to compile) | — |
#pragma once

#include "dl/attention.hpp"
#include "dl/audio.hpp"
#include "dl/conv.hpp"
#include "dl/ctc.hpp"
#include "dl/data.hpp"
#include "dl/error.hpp"
#include "dl/io.hpp"
#include "dl/metrics.hpp"
#include "dl/nn.hpp"
#include "dl/ops.hpp"
#include "dl/optim.hpp"
#include "dl/random.hpp"
#include "dl/rnn.hpp"
#include "dl/transformer.hpp"
#include "dl/tensor.hpp"
#include "dl/text.hpp"
#include "dl/threads.hpp"
#include "dl/tokenize.hpp"
#include "dl/train.hpp"
