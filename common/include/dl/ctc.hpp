/// @file ctc.hpp
/// @brief Connectionist temporal classification (CTC): the loss that trains a network
/// to emit a label sequence without a frame-by-frame alignment, and the two ways to
/// read labels back out of its per-frame scores (greedy and prefix beam search)
/// (ops_ctc.cpp).
///
/// Shapes: T frames, B batch, C classes (the labels and the blank), L target length.
/// An alignment is one class per frame; collapsing it (merge repeats, then drop blanks)
/// gives a labelling, e.g. `a a <blank> a b b` -> `a a b`. CTC's probability of a
/// labelling is the sum of the probabilities of all its alignments.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dl/tensor.hpp"

namespace dl {

/// How `ctc_loss` reduces the per-sequence losses (PyTorch's `reduction`).
enum class CtcReduction {
  mean,  ///< mean over the batch of each loss divided by its target length (at least 1)
  sum,   ///< sum over the batch
  none,  ///< one loss per sequence: (B)
};

/// Settings of `ctc_loss`, written as designated initialisers: `{.blank = 10}`.
struct CtcOptions {
  int blank = 0;                              ///< the class index of the blank, in [0, C)
  CtcReduction reduction = CtcReduction::mean;  ///< how the batch's losses are combined
  /// An impossible target (too long for its input, or of probability 0) has loss infinity;
  /// with `zero_infinity` its loss is 0 instead. Either way it adds 0 to the gradient.
  bool zero_infinity = false;
};

/// The CTC loss −log p(target | input) of each sequence, reduced over the batch, with
/// PyTorch's semantics (`torch.nn.functional.ctc_loss` with concatenated targets).
///
/// log_probs: (T,B,C) log-probabilities per frame (usually `log_softmax` over C);
/// targets: the B target sequences one after another, sum(target_lengths) labels in
/// [0,C), none equal to the blank; input_lengths: B frame counts in [1,T] (frames past a
/// sequence's length are ignored and get gradient 0); target_lengths: B lengths >= 0.
/// Returns a 0-d tensor (mean, sum) or (B) (none).
///
/// The forward–backward recursions run in log space in double precision. The gradient is
/// the true derivative of the loss with respect to `log_probs` (it does not assume that
/// the rows were normalised, unlike PyTorch's fused backward, which is only right after a
/// log_softmax): d loss / d log_probs[t,b,c] = −Σ_{s: l'_s = c} exp(log α_t(s) + log β_t(s)
/// − log_probs[t,b,c] − log p), over the positions s of the target with blanks between
/// (l'). A sequence whose loss is infinite gets gradient 0.
/// Throws ShapeError for wrong ranks or sizes and Error for out-of-range lengths or labels.
Tensor ctc_loss(const Tensor& log_probs, std::span<const int> targets, std::span<const int64_t> input_lengths,
                std::span<const int64_t> target_lengths, const CtcOptions& options = {});

/// Collapses frame labels into a labelling: merges runs of the same label, then drops
/// blanks (`1 1 0 1 2 2` with blank 0 -> `1 1 2`).
std::vector<int> ctc_collapse(std::span<const int> frame_labels, int blank);

/// Greedy (best-path) decoding of one sequence: the most probable class of each of the
/// first `length` frames (the first one on ties), collapsed with `ctc_collapse`.
/// log_probs_tc: (T,C) scores of one sequence (log-probabilities or logits: only the
/// order within a frame matters); length in [0,T]; blank in [0,C).
std::vector<int> ctc_greedy_decode(const Tensor& log_probs_tc, int64_t length, int blank = 0);

/// What `ctc_prefix_beam_search` returns.
struct CtcBeamResult {
  std::vector<int> labels;  ///< the best labelling found (blanks removed, repeats merged)
  double log_prob = 0.0;    ///< its log-probability as the search summed it (see below)
};

/// Prefix beam search over the first `length` frames of one sequence.
///
/// Keeps the `beam_width` most probable label prefixes; for each it tracks, in log space,
/// the probability of the paths that produce it and end in a blank, and of those that end
/// in its last label (the two differ in what a repeated label does next: after a blank it
/// starts a new label, otherwise it merges into the last one). After the last frame it
/// returns the prefix of largest total probability.
///
/// When the beam holds every prefix (beam_width >= the number of labellings reachable in
/// `length` frames) nothing is pruned: the result is the most probable labelling and
/// `log_prob` is exactly log p(labels | input), −`ctc_loss` with reduction sum. With a
/// smaller beam, paths that passed through a pruned prefix are lost, so `log_prob` is a
/// lower bound of the labelling's log-probability. `beam_width` = 1 keeps a single prefix
/// per frame: unlike greedy decoding it still merges the blank- and label-ending paths of
/// that prefix, but it is not guaranteed to find the best labelling either.
/// Ties between prefixes of equal probability go to the lexicographically smaller one.
///
/// log_probs_tc: (T,C) log-probabilities of one sequence; length in [0,T]; beam_width >= 1;
/// blank in [0,C).
CtcBeamResult ctc_prefix_beam_search(const Tensor& log_probs_tc, int64_t length, int beam_width, int blank = 0);

}  // namespace dl
