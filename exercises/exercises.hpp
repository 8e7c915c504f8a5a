// The exercises' declarations: what each function you write must do.
//
// Each function below is one exercise. Its folder exercises/NN-name/<id>/ holds the
// stub <id>.cpp (the file you edit) and a README.md with the task, the points and the
// hint; its tests are in tests/exercises/NN-name/<id>/test_<id>.cpp, and
// `./book grade <id>` builds your file against those tests and scores it. The
// order, points and hints are in exercises/manifest.json.
//
// Do not change these declarations: the tests are compiled against them. Tensors
// are dl::Tensor (common/include/dl/tensor.hpp): contiguous, row-major float32;
// `x.data()` is a pointer to the first element and `x.shape()` the extents,
// outermost first. Write each exercise with loops over the data; the library's
// own ops (dl::relu, dl::conv2d, ...) are what the tests compare you against.
//
// A few exercises are of another kind, "fix the bug" (their "kind" in manifest.json):
// their stub is complete, compiles and runs, but gives a wrong result because of one
// bug. The comment above the declaration says what the function must do; find where
// the code does something else and fix it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "dl/tensor.hpp"

namespace ex {

// ---------------------------------------------------------------------------------
// Chapter 01: deep learning

/// relu: y = max(0, x), element by element, same shape as x.
dl::Tensor relu_forward(const dl::Tensor& x);

/// relu: dL/dx given dL/dy (`grad_out`, same shape as x). Where x == 0 the
/// gradient is 0, as in PyTorch. Throws dl::ShapeError if the shapes differ.
dl::Tensor relu_backward(const dl::Tensor& x, const dl::Tensor& grad_out);

/// The gradients of a linear layer y = x W^T + b.
struct LinearGrads {
  dl::Tensor dx;  ///< dL/dx, (N, in)
  dl::Tensor dw;  ///< dL/dW, (out, in)
  dl::Tensor db;  ///< dL/db, (out)
};

/// linear_backward: for y = x W^T + b with x (N, in) and W (out, in) (PyTorch's
/// layout), and dL/dy (`grad_out`, (N, out)), return dL/dx, dL/dW and dL/db.
/// Throws dl::ShapeError when the shapes do not fit together.
LinearGrads linear_backward(const dl::Tensor& x, const dl::Tensor& w, const dl::Tensor& grad_out);

/// A loss and its gradient with respect to the logits.
struct LossAndGrad {
  float loss = 0;      ///< mean over the batch
  dl::Tensor dlogits;  ///< dL/dlogits, same shape as the logits
};

/// softmax_cross_entropy: the mean cross-entropy of `logits` (N, C) against the
/// class indices `targets` (N of them, each in [0, C)), and its gradient.
/// Must stay finite for logits in the thousands. Throws dl::ShapeError when the
/// number of targets is not N, std::out_of_range for a target outside [0, C).
LossAndGrad softmax_cross_entropy(const dl::Tensor& logits, std::span<const int> targets);

/// sgd_momentum_step: one step of SGD with momentum, as torch.optim.SGD does it,
/// in place: g = grad + weight_decay * param; velocity = momentum * velocity + g;
/// param -= lr * velocity. `velocity` starts at zero before the first step.
/// Throws dl::ShapeError unless param, grad and velocity have the same shape.
void sgd_momentum_step(dl::Tensor& param, const dl::Tensor& grad, dl::Tensor& velocity, float lr, float momentum,
                       float weight_decay);

/// One node of a scalar expression graph, as a tiny tape records it (micrograd-style).
struct ScalarNode {
  char op = 0;       ///< 0 for an input, '+' for value = a + b, '*' for value = a * b
  int a = -1;        ///< index of the first operand in the tape (op != 0 only)
  int b = -1;        ///< index of the second operand, may equal `a` (x * x)
  double value = 0;  ///< the node's forward value, already computed
};

/// tape_backward: the gradient of the last node of `tape` with respect to every node,
/// in the tape's order (the last one's is 1). The nodes are in topological order: each
/// operand index is below the index of the node that uses it. A node used several times
/// (as both operands of x * x, or by two later nodes) receives the sum of the gradients
/// that every use sends back, the multivariable chain rule. Throws std::invalid_argument
/// for an empty tape, an unknown op, or an operand index outside [0, i) at node i.
std::vector<double> tape_backward(const std::vector<ScalarNode>& tape);

/// linear_forward: y = x W^T + b for x (N, in), W (out, in) (PyTorch's layout) and b
/// (out); returns (N, out). Throws dl::ShapeError when the shapes do not fit together.
dl::Tensor linear_forward(const dl::Tensor& x, const dl::Tensor& w, const dl::Tensor& b);

// ---------------------------------------------------------------------------------
// Chapter 02: convolutional networks

/// conv_output_size: the output length of a convolution or pooling along one
/// dimension: floor((in + 2 padding - dilation (kernel - 1) - 1) / stride) + 1.
/// Throws dl::ShapeError if that is below 1 (the input is too small) or if
/// in, kernel, stride or dilation is below 1 or padding is negative.
int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation);

/// conv2d_loops: a 2-D convolution (cross-correlation, like PyTorch) by plain
/// loops. x (N, C, H, W), weight (O, C, K, K), bias (O); zero padding on every
/// side; returns (N, O, OH, OW). Throws dl::ShapeError when the channels differ
/// or the output would be empty.
dl::Tensor conv2d_loops(const dl::Tensor& x, const dl::Tensor& weight, const dl::Tensor& bias, int64_t stride,
                        int64_t padding);

/// im2col: unfolds one image (C, H, W) into a matrix (C K K, OH OW) whose column
/// (oy, ox) holds the K x K patch of every channel that the output pixel (oy, ox)
/// sees, in the order (c, ky, kx); padding reads as 0. Then
/// weight.reshape({O, C K K}) times this matrix is the convolution. Throws
/// dl::ShapeError if the image is not 3-D or no window fits.
dl::Tensor im2col(const dl::Tensor& image, int64_t kernel, int64_t stride, int64_t padding);

/// max_pool2d_backward: dL/dx of a K x K max-pool with the given stride and no
/// padding, x (N, C, H, W), given dL/dy (`grad_out`, (N, C, OH, OW)). Each output
/// passes its gradient to the input that was its maximum; on a tie, to the first
/// one in row-major order of the window (as PyTorch does). Windows may overlap.
/// Throws dl::ShapeError if x is not 4-D, no window fits, or grad_out's shape is not
/// the pooled shape.
dl::Tensor max_pool2d_backward(const dl::Tensor& x, const dl::Tensor& grad_out, int64_t kernel, int64_t stride);

// ---------------------------------------------------------------------------------
// Chapter 03: recurrent networks

/// rnn_cell_step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).
/// x (B, I), h (B, H), W_ih (H, I), W_hh (H, H), biases (H); returns (B, H).
/// Throws dl::ShapeError when a shape does not fit these.
dl::Tensor rnn_cell_step(const dl::Tensor& x, const dl::Tensor& h, const dl::Tensor& w_ih, const dl::Tensor& w_hh,
                         const dl::Tensor& b_ih, const dl::Tensor& b_hh);

/// clip_grad_norm: if the joint L2 norm of all `grads` exceeds `max_norm`, scales
/// every gradient in place by max_norm / (norm + 1e-6) (PyTorch's formula).
/// Returns the norm before clipping. Throws std::invalid_argument if max_norm <= 0.
float clip_grad_norm(std::vector<dl::Tensor>& grads, float max_norm);

/// The two states an LSTM carries from step to step.
struct LSTMStep {
  dl::Tensor h;  ///< hidden state (B, H)
  dl::Tensor c;  ///< cell state (B, H)
};

/// lstm_cell_forward: one LSTM step with PyTorch's gate order (i, f, g, o):
/// [i f g o] = x W_ih^T + b_ih + h W_hh^T + b_hh, each (B, H);
/// c' = sigmoid(f) c + sigmoid(i) tanh(g);  h' = sigmoid(o) tanh(c').
/// x (B, I), h and c (B, H), W_ih (4H, I), W_hh (4H, H), biases (4H).
/// Throws dl::ShapeError when a shape does not fit these.
LSTMStep lstm_cell_forward(const dl::Tensor& x, const dl::Tensor& h, const dl::Tensor& c, const dl::Tensor& w_ih,
                           const dl::Tensor& w_hh, const dl::Tensor& b_ih, const dl::Tensor& b_hh);

/// sample_with_temperature: draws a token id from softmax(logits / temperature),
/// using one `gen.uniform()` draw compared against the running sum of the
/// probabilities. Temperature 0 means greedy: the index of the largest logit
/// (the first one on a tie), without touching `gen`. Throws std::invalid_argument
/// for an empty `logits` or a negative temperature.
int sample_with_temperature(std::span<const float> logits, float temperature, dl::Generator& gen);

/// truncated_bptt: runs an Elman RNN cell (dl::rnn_cell) over the steps `xs` (T tensors
/// (N, I)) from the state h0 (N, H), in chunks of `window` steps (the last may be shorter),
/// and returns the loss of each chunk, the sum of every element of every hidden state in
/// it, as one-element tensors whose graphs a training loop calls backward() on, chunk
/// after chunk. The state carried from one chunk to the next keeps its values (the
/// forward pass is the same as without chunks), but gradients stop at the chunk
/// boundary: chunk k's loss reaches the inputs and the carried state of chunk k only,
/// and the parameters through chunk k's steps only. Throws std::invalid_argument
/// for window < 1 or no steps.
std::vector<dl::Tensor> truncated_bptt(const std::vector<dl::Tensor>& xs, const dl::Tensor& h0,
                                       const dl::Tensor& w_ih, const dl::Tensor& w_hh, const dl::Tensor& b_ih,
                                       const dl::Tensor& b_hh, int64_t window);

// ---------------------------------------------------------------------------------
// Chapter 04: natural language processing

/// A word of a BPE training corpus: its symbols (token ids) and how often it occurs.
struct BpeWord {
  std::vector<int> symbols;  ///< the word as token ids, e.g. the bytes of "low" {108, 111, 119}
  int64_t count = 0;         ///< occurrences of the word in the corpus
};

/// A pair of adjacent symbols and how often it occurs.
struct BpePair {
  int left = -1;      ///< the first symbol
  int right = -1;     ///< the second symbol
  int64_t count = 0;  ///< occurrences, each word weighted by its count
};

/// bpe_merge_step: one merge of BPE training, as dl::tokenize::train_bpe does it.
/// Counts every pair of adjacent symbols inside each word, weighted by the word's
/// count (in "a a a" the pair a a occurs twice); picks the most frequent pair, on a
/// tie the one with the smaller left id, then the smaller right id; and replaces each
/// occurrence of it in every word, left to right, by `new_id` ("a a a" becomes
/// "new_id a"). Returns that pair with its count. When no pair occurs at least twice
/// (also for no words, or words of one symbol) it returns {-1, -1, 0} and changes
/// nothing. Throws std::invalid_argument for a negative count or symbol.
BpePair bpe_merge_step(std::vector<BpeWord>& words, int new_id);

/// wordpiece_greedy: one word (UTF-8, already lower-cased and split from its
/// neighbours) cut into WordPiece tokens by greedy longest match, as BERT does:
/// the longest prefix of the word that is in `vocab`, then from where it ended the
/// longest continuation that is in `vocab` with "##" in front, and so on to the end.
/// If at some position not even one character matches, or the word has more than
/// `max_chars` characters, the result is {"[UNK]"}, the whole word. Characters are
/// Unicode code points: a piece never ends inside one. An empty word gives no tokens.
std::vector<std::string> wordpiece_greedy(const std::string& word, const std::unordered_set<std::string>& vocab,
                                          size_t max_chars = 100);

/// The loss of one skip-gram example and its gradients.
struct SgnsGrads {
  float loss = 0;  ///< -log σ(u_0·v) - Σ_k log σ(-u_k·v)
  dl::Tensor dv;   ///< dL/dv, (D)
  dl::Tensor du;   ///< dL/du, (1+K, D)
};

/// sgns_gradient: the loss of skip-gram with negative sampling for one example, and
/// its gradients. v (D) is the centre word's input vector, u[0] the output vector of a
/// word seen in its window and u[1..K] those of K negatives; u is (1+K, D).
/// loss = -log σ(u_0·v) - Σ_k log σ(-u_k·v), where σ is the logistic sigmoid; returns it
/// with dL/dv (D) and dL/du (1+K, D). Must stay finite and accurate for dot products
/// in the hundreds, of either sign. Throws dl::ShapeError unless v is 1-D and u is 2-D
/// with at least one row and as many columns as v.
SgnsGrads sgns_gradient(const dl::Tensor& v, const dl::Tensor& u);

/// A row of an embedding table and its cosine to a query row.
struct Neighbour {
  int id = 0;         ///< the row
  float cosine = 0;   ///< its cosine similarity to the query
};

/// cosine_nearest: the `k` rows of `e` (V, D) nearest to row `query` by cosine
/// similarity, nearest first, the query itself left out; rows with equal cosines in
/// increasing id order. All V - 1 other rows when k exceeds that. Works for entries
/// from 1e-20 to 1e20 in size (sum in double). Throws dl::ShapeError unless e is 2-D,
/// std::out_of_range for a query outside [0, V), std::invalid_argument for a negative
/// k or an all-zero row (the query's or another: its cosine is undefined).
std::vector<Neighbour> cosine_nearest(const dl::Tensor& e, int query, int64_t k);

// ---------------------------------------------------------------------------------
// Chapter 04, second half: attention and BERT

/// attention_forward: scaled dot-product attention for one head, written with loops:
/// out = softmax(q k^T / sqrt(D)) v, the softmax taken over the keys of each query row.
/// q (T, D), k (S, D), v (S, Dv); returns (T, Dv). `key_padding` is empty (every key is
/// real) or holds S entries, 1 for a real key and 0 for padding, like Hugging Face's
/// attention_mask: a padded key gets weight 0 from every query, and a query whose every
/// key is padding outputs a row of zeros. Scores in the thousands must not overflow.
/// Throws dl::ShapeError unless q, k and v are 2-D, D is at least 1, k has D columns and
/// v has S rows, or when key_padding is neither empty nor S long; std::invalid_argument
/// for a key_padding entry other than 0 or 1.
dl::Tensor attention_forward(const dl::Tensor& q, const dl::Tensor& k, const dl::Tensor& v,
                             std::span<const int> key_padding);

/// causal_mask: the additive mask (T, S) of a decoder's self-attention, to be added to the
/// scores q k^T / sqrt(D) before the softmax: 0 where query i may look at key j and minus
/// infinity where it may not. Query i sees the keys j <= i, also when T and S differ (the
/// top-left-aligned rule of dl::AttentionMask::causal and PyTorch's is_causal).
/// `key_padding` is empty or holds S entries, 1 for a real key and 0 for padding; a padded
/// key is minus infinity in every row. Throws std::invalid_argument for a negative T or S
/// or a key_padding entry other than 0 or 1, dl::ShapeError when key_padding is neither
/// empty nor S long.
dl::Tensor causal_mask(int64_t t, int64_t s, std::span<const int> key_padding);

/// The gradients of a layer normalisation.
struct LayerNormGrads {
  dl::Tensor dx;      ///< dL/dx, (N, C)
  dl::Tensor dgamma;  ///< dL/dgamma, (C)
  dl::Tensor dbeta;   ///< dL/dbeta, (C)
};

/// layer_norm_backward: the gradients of y = gamma xhat + beta, where each row of x (N, C)
/// is normalised on its own, xhat = (x - mu) / sigma, with mu the row's mean and
/// sigma = sqrt(var + eps), var the row's variance divided by C (not C - 1), as
/// dl::layer_norm and PyTorch compute it. Given dL/dy (`grad_out`, (N, C)) and gamma (C),
/// returns dL/dx (N, C), dL/dgamma (C) and dL/dbeta (C); beta appears in none of them.
/// A constant row (var = 0) has finite gradients. Throws dl::ShapeError unless x is 2-D,
/// gamma has C entries and grad_out has x's shape; std::invalid_argument unless eps > 0.
LayerNormGrads layer_norm_backward(const dl::Tensor& x, const dl::Tensor& gamma, const dl::Tensor& grad_out,
                                   float eps);

/// A masked-language-model example: what the model reads and what its loss compares with.
struct MlmExample {
  std::vector<int> ids;     ///< the token ids after masking, one per input token
  std::vector<int> labels;  ///< the original id at each chosen position, -100 elsewhere
};

/// mlm_masking: BERT's dynamic masking of one sequence of token `ids`, each in
/// [0, vocab_size). Each position whose id is not one of `special_ids` ([CLS], [SEP],
/// [PAD], ...) is chosen on its own with probability `mask_prob`; a special token never is.
/// A chosen token becomes `mask_id` with probability 0.8, an id drawn uniformly from
/// [0, vocab_size) with probability 0.1, and stays as it is with probability 0.1; its
/// label is its original id. Every other position keeps its id and gets the label -100,
/// the ignore_index of dl::cross_entropy, so the loss counts the chosen positions only.
/// Every random number comes from `gen`. Throws std::invalid_argument unless mask_prob is
/// in [0, 1], vocab_size is at least 1 and mask_id is in [0, vocab_size);
/// std::out_of_range for an id outside [0, vocab_size).
MlmExample mlm_masking(std::span<const int> ids, std::span<const int> special_ids, float mask_prob, int mask_id,
                       int vocab_size, dl::Generator& gen);

// ---------------------------------------------------------------------------------
// Chapter 05: natural language generation

/// top_p_filter: nucleus (top-p) filtering of one row of scores, in place: keeps the
/// smallest set of most likely tokens whose probabilities, softmax(logits), add up to at
/// least `p`, and sets every other score to minus infinity (the kept scores stay as they
/// were). Tokens join the set from the most likely down, equal probabilities in increasing
/// index order, and the first token to reach the mass p is the last one kept; sum the
/// probabilities in double. The most likely token is always kept, and p >= 1 keeps every
/// token. A score of minus infinity (from an earlier filter) has probability 0; scores in
/// the thousands must not overflow. An empty row is left as it is. Throws
/// std::invalid_argument for p <= 0 or NaN, or for a row whose every score is minus
/// infinity.
void top_p_filter(std::span<float> logits, float p);

/// repetition_penalty: CTRL's repetition penalty (Keskar et al., 2019) as Hugging Face's
/// RepetitionPenaltyLogitsProcessor applies it, in place: for every distinct id in
/// `previous` (the tokens generated so far), a positive score is divided by `penalty`
/// and a negative one multiplied by it, once however often the id occurs; a score of 0
/// stays 0 and every other score is unchanged. A penalty above 1 makes repeating less
/// likely. Throws std::invalid_argument unless penalty is positive and finite, and
/// std::out_of_range for an id outside [0, logits.size()); either way before changing
/// any score.
void repetition_penalty(std::span<float> logits, std::span<const int> previous, float penalty);

/// A partial output of beam search and its total log-probability.
struct Beam {
  std::vector<int> ids;   ///< the tokens chosen so far
  double log_prob = 0.0;  ///< the sum of log P(token | everything before it)
};

/// beam_search_step: one step of beam search. Every beam b is extended by every token t
/// of the vocabulary with the score beams[b].log_prob + log_probs[b][t], added in double;
/// the extension's ids are beams[b].ids followed by t. Returns the `width` best extensions
/// (all of them if there are fewer), best first; equal scores in order of the lower beam
/// index, then the lower token id. `log_probs` holds one row of V log-probabilities per
/// beam. No beams, or V = 0, give no extensions. Throws std::invalid_argument for
/// width < 1, dl::ShapeError unless log_probs has one row per beam and all rows have the
/// same length.
std::vector<Beam> beam_search_step(const std::vector<Beam>& beams, const std::vector<std::vector<float>>& log_probs,
                                   int64_t width);

/// One attention head's key-value cache: the keys and values of the positions read so
/// far, so that each new token attends to them without recomputing them.
struct KVCache {
  int64_t dim = 0;            ///< D, the length of each key and value
  int64_t capacity = 0;       ///< the positions it has room for
  int64_t length = 0;         ///< the positions cached so far, at most capacity
  std::vector<float> keys;    ///< (capacity, D), row-major: position j's key at [j D, (j + 1) D)
  std::vector<float> values;  ///< (capacity, D), row-major, likewise
};

/// kv_cache_append: appends one position to `cache`, a KVCache (in exercises.hpp): D is
/// cache.dim, and cache.keys and cache.values are (capacity, D) buffers, row-major, whose
/// first cache.length rows are in use. The new position's `key` and `value` (D floats each)
/// become row cache.length of both buffers, and cache.length grows by 1. Then it returns
/// the attention output of `query` (D floats) over every cached position j, the new one
/// included: sum_j w_j v_j with w = softmax(q·k_j / sqrt(D)) over j, D floats. This is one
/// step of a decoder's self-attention with a KV cache: the causal mask is implicit, since
/// the cache holds no future positions. Scores in the thousands must not overflow. Throws
/// dl::ShapeError when the cache is full (length == capacity) or malformed (D < 1, keys or
/// values not capacity D floats long, length outside [0, capacity]), or when key, value or
/// query does not hold D floats; a throw leaves the cache unchanged.
std::vector<float> kv_cache_append(KVCache& cache, std::span<const float> key, std::span<const float> value,
                                   std::span<const float> query);

// ---------------------------------------------------------------------------------
// Chapter 06: natural language understanding

/// naive_bayes_log_prob: multinomial naive Bayes' log-likelihood of a document under each
/// class, with additive (Laplace) smoothing, as scikit-learn's MultinomialNB computes its
/// feature_log_prob_. counts[c][v] is how often token v occurs in the training documents of
/// class c (C rows of V counts each, V the vocabulary size); with total_c = sum_v counts[c][v],
/// log P(v | c) = log((counts[c][v] + alpha) / (total_c + alpha V)), and the document's
/// log-likelihood is the sum of log P(v | c) over its tokens (a token that occurs twice counts
/// twice). Returns log P(tokens | c) for c = 0 .. C - 1, in double; an empty document gives 0
/// for every class. Throws std::invalid_argument unless alpha is finite and > 0, every row
/// of counts has the same length V, every count is >= 0 and every token id is in [0, V).
std::vector<double> naive_bayes_log_prob(const std::vector<std::vector<int64_t>>& counts, double alpha,
                                         std::span<const int64_t> tokens);

/// A posterior over the classes and the most probable class.
struct Posterior {
  std::vector<double> posterior;  ///< P(y | x) for each class y; sums to 1
  int64_t best = -1;              ///< the arg-max of posterior (the lowest index on ties)
};

/// bayes_posterior: Bayes' rule P(y | x) = P(x | y) P(y) / sum_y' P(x | y') P(y') from the
/// log-likelihoods log P(x | y) and the log-priors log P(y) (one of each per class), computed
/// in log space with a log-sum-exp: log-likelihoods like -5000, whose exp is 0 in double,
/// must still give the right posterior. Returns a Posterior (in exercises.hpp): .posterior,
/// P(y | x) for each class, and .best, its arg-max (the lowest index on ties). Minus infinity (a class of probability 0) gives posterior 0. Throws
/// std::invalid_argument when the two have different lengths, are empty, hold NaN or plus
/// infinity, or when every class has probability 0.
Posterior bayes_posterior(std::span<const double> log_likelihood, std::span<const double> log_prior);

/// macro_f1: the macro-averaged F1 score of predicted labels against true labels, each in
/// [0, num_classes). For class k, with tp its true positives, fp its false positives and fn
/// its false negatives, F1_k = 2 P R / (P + R) = 2 tp / (2 tp + fp + fn), and F1_k = 0 when
/// tp = 0. The macro F1 is the unweighted mean of F1_k over the classes that occur in y_true
/// or in y_pred (or both); a class in neither is left out. This is scikit-learn's
/// f1_score(y_true, y_pred, average="macro"). Throws std::invalid_argument when the two
/// have different lengths or are empty, num_classes < 1 or a label is outside
/// [0, num_classes).
double macro_f1(std::span<const int> y_true, std::span<const int> y_pred, int num_classes);

/// expected_calibration_error: how far a classifier's confidence is from its accuracy. Each
/// example i has the confidence confidence[i] in [0, 1] (the largest predicted probability)
/// and correct[i], whether its prediction was right. The num_bins = M equal-width bins cover
/// [0, 1]: bin m (m = 0 .. M - 1) holds the confidences in (m / M, (m + 1) / M], and bin 0
/// also holds 0; so example i goes in bin ceil(confidence[i] M) - 1, or bin 0 when its
/// confidence is 0. ECE = sum over the bins B_m that are not empty of (|B_m| / n)
/// |acc(B_m) - conf(B_m)|, with n the number of examples, acc(B_m) the fraction of B_m's
/// examples that are correct and conf(B_m) their mean confidence. Throws
/// std::invalid_argument when the two have different lengths or are empty, num_bins < 1
/// or a confidence is outside [0, 1] (or NaN).
double expected_calibration_error(std::span<const double> confidence, const std::vector<bool>& correct,
                                  int num_bins);

// ---------------------------------------------------------------------------------
// Chapter 07: speech recognition

/// frame_signal: cuts `signal` (N samples) into overlapping frames of `win_length` samples,
/// one every `hop_length` samples, with no padding: frame f holds samples
/// [f hop_length, f hop_length + win_length), and there are 1 + (N - win_length) / hop_length
/// frames (integer division), none when N < win_length. Each frame is multiplied by the
/// periodic Hann window w[n] = 0.5 - 0.5 cos(2 pi n / win_length), n = 0 .. win_length - 1.
/// Returns (frames, win_length), row-major: frame f's windowed samples are row f. Throws
/// std::invalid_argument unless win_length and hop_length are at least 1.
dl::Tensor frame_signal(std::span<const float> signal, int64_t win_length, int64_t hop_length);

/// mel_filter_bank: the triangular mel filters that turn a power spectrum of n_fft / 2 + 1
/// FFT bins (bin k at the frequency k sample_rate / n_fft Hz) into n_mels band energies,
/// as torchaudio's melscale_fbanks(norm=None, mel_scale="htk") makes them. On the HTK mel
/// scale m = 2595 log10(1 + f / 700), n_mels + 2 points are spaced equally from mel(f_min)
/// to mel(f_max), both ends included, and taken back to Hz: f_0 < f_1 < ... < f_{n_mels+1}.
/// Filter i (i = 0 .. n_mels - 1) is 0 up to f_i, rises linearly in Hz to 1 at f_{i+1},
/// falls linearly to 0 at f_{i+2} and is 0 beyond. Returns (n_mels, n_fft / 2 + 1): row i
/// is filter i's weight at each bin. Throws std::invalid_argument unless n_fft >= 2,
/// n_mels >= 1, sample_rate > 0 and 0 <= f_min < f_max <= sample_rate / 2.
dl::Tensor mel_filter_bank(int64_t n_fft, int64_t n_mels, double sample_rate, double f_min, double f_max);

/// ctc_collapse: CTC's many-to-one map from one label per frame to the output: first
/// merges each run of equal labels into one, then removes every `blank`. With blank 0,
/// {1, 1, 0, 1, 2, 2, 0, 0, 3} gives {1, 1, 2, 3}: a blank between two equal labels keeps
/// them apart. No frames, or only blanks, give an empty output.
std::vector<int> ctc_collapse(std::span<const int> frame_labels, int blank);

/// ctc_forward_step: one step of CTC's forward recursion (Graves et al., 2006), in log
/// space. `extended` is the label sequence with a blank before, between and after its
/// labels (S = 2 L + 1 entries), `log_alpha_prev` holds log alpha_{t-1}(s) for s = 0 .. S - 1
/// and `log_probs` the frame's log-probabilities log y_t(c) of the C classes (the blank
/// included). Returns log alpha_t (S values): log alpha_t(s) = log y_t(extended[s]) +
/// logsumexp of alpha_{t-1}(s), alpha_{t-1}(s - 1) (for s >= 1) and alpha_{t-1}(s - 2), the
/// last only for s >= 2 when extended[s] is not the blank and differs from extended[s - 2].
/// Minus infinity (a state no path reaches, a class of probability 0) must stay minus
/// infinity, never NaN: the log-sum-exp of nothing but minus infinities is minus infinity.
/// Throws dl::ShapeError when log_alpha_prev and extended differ in length, and
/// std::out_of_range when blank or an entry of extended is outside [0, C).
std::vector<float> ctc_forward_step(std::span<const float> log_alpha_prev, std::span<const int> extended,
                                    std::span<const float> log_probs, int blank);

}  // namespace ex
