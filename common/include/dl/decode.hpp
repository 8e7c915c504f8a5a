/// @file decode.hpp
/// @brief Decoding strategies for a language model: how the next token is chosen from
/// its scores (greedy, temperature, top-k, top-p, repetition penalty, beam search), and
/// distinct-n, a measure of how varied a text is (decode.cpp).
///
/// Every function works on one row of scores (logits) over the vocabulary, as
/// Hugging Face's `LogitsProcessor`s do: a filter sets the scores of the tokens it removes
/// to -infinity, so a softmax afterwards gives them probability 0.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dl/random.hpp"

namespace dl::decode {

/// The index of the largest score; the first one on ties. Throws dl::Error when empty or
/// when a score is NaN.
int greedy(std::span<const float> logits);

/// softmax(logits) into `probs` (same length), computed stably (the largest score
/// subtracted first); scores of -infinity get probability 0. Throws dl::Error when every
/// score is -infinity (or there are none), when a score is NaN or +infinity, or the sizes differ.
void softmax(std::span<const float> logits, std::span<float> probs);

/// Divides every score by `temperature` (> 0): below 1 sharpens the distribution, above 1
/// flattens it. Throws dl::Error for a temperature that is not positive and finite.
void apply_temperature(std::span<float> logits, float temperature);

/// Keeps the `k` largest scores (all tied at the k-th kept too) and sets the rest to
/// -infinity. k <= 0 or k >= size keeps every score.
void top_k_filter(std::span<float> logits, int64_t k);

/// Nucleus filtering: keeps the smallest set of most likely tokens whose probability
/// (softmax of `logits`) adds up to at least `p`, and sets the rest to -infinity. The most
/// likely token is always kept; p >= 1 keeps every token. Throws dl::Error for p <= 0 or NaN.
void top_p_filter(std::span<float> logits, float p);

/// CTRL's repetition penalty (Keskar et al., 2019, as Hugging Face applies it): for every
/// distinct id in `previous`, a positive score is divided by `penalty` and a negative one
/// multiplied by it, so a token already written becomes less likely. penalty 1 changes
/// nothing. Throws dl::Error for a penalty that is not positive and finite, or an id
/// outside the vocabulary.
void repetition_penalty(std::span<float> logits, std::span<const int> previous, float penalty);

/// Draws an index from softmax(logits) with `gen` (one uniform number, inverse CDF).
int sample(std::span<const float> logits, Generator& gen);

/// How `next_token` chooses.
enum class Strategy {
  greedy,  ///< the most likely token
  sample,  ///< a draw from softmax(scores / temperature)
  top_k,   ///< a draw from the k most likely, renormalised
  top_p,   ///< a draw from the nucleus of mass p, renormalised
};

/// Parses "greedy", "sample", "top-k" or "top-p"; throws dl::Error naming the choices.
Strategy parse_strategy(const std::string& name);
/// The name `parse_strategy` reads.
std::string strategy_name(Strategy strategy);

/// Settings of `next_token`, with Hugging Face's `generate` defaults.
struct SamplingOptions {
  Strategy strategy = Strategy::sample;  ///< how the token is chosen
  float temperature = 1.0f;         ///< for every strategy but greedy
  int64_t top_k = 50;               ///< for Strategy::top_k
  float top_p = 0.9f;               ///< for Strategy::top_p
  float repetition_penalty = 1.0f;  ///< 1: none
  /// Throws dl::Error naming the setting when one is out of range: temperature positive
  /// and finite (unless greedy), top_k >= 1 (for top_k), top_p in (0, 1] (for top_p),
  /// repetition_penalty positive and finite. Settings the strategy does not use are not checked.
  void validate() const;
};

/// One decoding step: the repetition penalty over `previous`, then the strategy (greedy,
/// or temperature, the filter and a draw). Changes `logits` in place.
int next_token(std::span<float> logits, std::span<const int> previous, const SamplingOptions& options,
               Generator& gen);

/// A partial output of beam search and its total log-probability.
struct Beam {
  std::vector<int> ids;   ///< the tokens chosen so far (without the prompt)
  double log_prob = 0.0;  ///< sum of log P(token | everything before it)
  bool finished = false;  ///< ended with the stop token; kept as it is
};

/// One step of beam search: every unfinished beam b is extended by every token t with
/// score beams[b].log_prob + log_probs[b][t]; finished beams compete with their score as
/// it is. Returns the `width` best candidates, best first (ties: lower beam index, then
/// lower token id). A token equal to `stop_id` (>= 0) finishes its beam.
/// log_probs: one row per beam (rows of finished beams are ignored).
std::vector<Beam> beam_search_step(const std::vector<Beam>& beams, const std::vector<std::vector<float>>& log_probs,
                                   int64_t width, int stop_id = -1);

/// log P(next token | prompt + beam) for each beam: rows of log-probabilities over the vocabulary.
using NextLogProbs = std::function<std::vector<std::vector<float>>(const std::vector<std::vector<int>>& beams)>;

/// Beam search from one empty beam for `max_new_tokens` steps (or until every beam has
/// finished with `stop_id`); returns the best beam by total log-probability. With width 1
/// it is greedy decoding. `next` is asked only about the beams that have not finished.
/// No length normalisation: a short finished beam can beat longer ones.
/// Throws dl::Error for width < 1 or max_new_tokens < 0, or when
/// `next` returns a different number of rows than it was given beams.
Beam beam_search(const NextLogProbs& next, int64_t width, int64_t max_new_tokens, int stop_id = -1);

/// distinct-n (Li et al., 2016): the number of distinct n-grams of `ids` divided by the
/// number of n-grams; 0 when `ids` is shorter than n. Throws dl::Error for n < 1.
double distinct_n(std::span<const int> ids, int n);

}  // namespace dl::decode
