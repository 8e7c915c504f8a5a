// Decoding strategies: how a language model's scores over the vocabulary become the next
// token (greedy, temperature, top-k, top-p, repetition penalty, sampling, beam search),
// and distinct-n, a measure of how varied the output is.
#include "dl/decode.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

#include "dl/error.hpp"

namespace dl::decode {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// 0.8f -> "0.8", NaN -> "nan", infinity -> "inf" (std::to_string would print "0.800000").
std::string str(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool positive_and_finite(float value) { return value > 0.0f && std::isfinite(value); }

}  // namespace

// [greedy]
int greedy(std::span<const float> logits) {
  if (logits.empty()) throw Error("greedy: the scores are empty (a vocabulary of 0 tokens)");
  int best = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i])) throw Error("greedy: the score of token " + std::to_string(i) + " is NaN");
    if (logits[i] > logits[best]) best = static_cast<int>(i);  // strictly greater: the first one wins ties
  }
  return best;
}
// [greedy]

// [softmax]
void softmax(std::span<const float> logits, std::span<float> probs) {
  if (logits.size() != probs.size())
    throw Error("softmax: " + std::to_string(logits.size()) + " scores but room for " + std::to_string(probs.size()) +
                " probabilities; the sizes must be equal");
  if (logits.empty()) throw Error("softmax: the scores are empty (a vocabulary of 0 tokens)");
  float max = kNegInf;
  for (size_t i = 0; i < logits.size(); ++i) {
    // A NaN (or +infinity, whose exp(inf - inf) is NaN too) would turn every probability into NaN.
    if (std::isnan(logits[i]) || logits[i] == -kNegInf)
      throw Error("softmax: the score of token " + std::to_string(i) + " is " + str(logits[i]) +
                  "; scores must be finite or -inf");
    max = std::max(max, logits[i]);
  }
  if (max == kNegInf)
    throw Error("softmax: every one of the " + std::to_string(logits.size()) +
                " scores is -inf (every token was filtered out), so there is nothing to normalise");
  // exp(x - max) <= 1 cannot overflow, and the largest term is exactly 1, so the sum is >= 1.
  // exp(-inf - max) = 0: a filtered token gets probability 0.
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    probs[i] = std::exp(logits[i] - max);
    sum += probs[i];
  }
  for (float& p : probs) p = static_cast<float>(p / sum);
}
// [softmax]

// [temperature]
void apply_temperature(std::span<float> logits, float temperature) {
  if (!positive_and_finite(temperature))
    throw Error("apply_temperature: the temperature must be positive and finite, got " + str(temperature) +
                " (for the most likely token use greedy decoding)");
  for (float& x : logits) x /= temperature;
}
// [temperature]

// [top_k]
void top_k_filter(std::span<float> logits, int64_t k) {
  if (k <= 0 || k >= static_cast<int64_t>(logits.size())) return;
  // The k-th largest score is the threshold: nth_element puts it at position k-1 of a copy
  // (everything before it >= it) in linear time, without sorting the whole vocabulary.
  std::vector<float> sorted(logits.begin(), logits.end());
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  const float threshold = sorted[k - 1];
  // ">=": tokens tied with the k-th are all kept, so the result does not depend on their order.
  for (float& x : logits)
    if (!(x >= threshold)) x = kNegInf;
}
// [top_k]

// [top_p]
void top_p_filter(std::span<float> logits, float p) {
  if (!(p > 0.0f)) throw Error("top_p_filter: p must be in (0, 1], got " + str(p));
  if (p >= 1.0f) return;  // the whole vocabulary has mass 1
  std::vector<float> probs(logits.size());
  softmax(logits, probs);
  // Most likely first; stable, so of two equal scores the lower id comes first.
  std::vector<int> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  // Take tokens until their mass reaches p. The probabilities are floats, each a few ulps
  // off, so a mass of exactly p on paper (0.5 + 0.3 for p = 0.8) may add up to a hair less;
  // the small tolerance keeps that case from pulling in one more token.
  constexpr double kTolerance = 1e-6;
  double mass = 0.0;
  size_t kept = 0;
  do {
    mass += probs[order[kept++]];
  } while (kept < order.size() && mass < p - kTolerance);  // do-while: the most likely token is always kept
  for (size_t i = kept; i < order.size(); ++i) logits[order[i]] = kNegInf;
}
// [top_p]

// [repetition_penalty]
void repetition_penalty(std::span<float> logits, std::span<const int> previous, float penalty) {
  if (!positive_and_finite(penalty))
    throw Error("repetition_penalty: the penalty must be positive and finite, got " + str(penalty) +
                " (1 means no penalty, 1.2 is common)");
  for (int id : previous)
    if (id < 0 || static_cast<size_t>(id) >= logits.size())
      throw Error("repetition_penalty: token id " + std::to_string(id) + " is outside the vocabulary of " +
                  std::to_string(logits.size()) + " tokens");
  // Each distinct token once: a token written three times is penalised once, not cubed.
  std::vector<int> ids(previous.begin(), previous.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int id : ids) {
    float& x = logits[id];
    // Dividing a negative score would raise it (-2 / 1.2 = -1.67), so it is multiplied instead:
    // either way the token moves towards less likely.
    x = x > 0.0f ? x / penalty : x * penalty;
  }
}
// [repetition_penalty]

// [sample]
int sample(std::span<const float> logits, Generator& gen) {
  std::vector<float> probs(logits.size());
  softmax(logits, probs);
  // Inverse CDF: the first token whose cumulative probability passes u. A token with
  // probability 0 never does (its cumulative equals the previous one's).
  const double u = gen.uniform();
  double cumulative = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    cumulative += probs[i];
    if (u < cumulative) return static_cast<int>(i);
  }
  // Rounding can leave the total a hair below u (< 1): the last token that can be drawn.
  for (size_t i = probs.size(); i-- > 0;)
    if (probs[i] > 0.0f) return static_cast<int>(i);
  return static_cast<int>(probs.size()) - 1;  // unreachable: softmax has at least one probability > 0
}
// [sample]

Strategy parse_strategy(const std::string& name) {
  for (Strategy s : {Strategy::greedy, Strategy::sample, Strategy::top_k, Strategy::top_p})
    if (name == strategy_name(s)) return s;
  throw Error("unknown decoding strategy '" + name + "'; choose greedy, sample, top-k or top-p");
}

std::string strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::greedy: return "greedy";
    case Strategy::sample: return "sample";
    case Strategy::top_k: return "top-k";
    case Strategy::top_p: return "top-p";
  }
  throw Error("strategy_name: not a Strategy (" + std::to_string(static_cast<int>(strategy)) + ")");
}

void SamplingOptions::validate() const {
  // Only the settings the strategy uses are checked: greedy with temperature 0 is fine.
  if (strategy != Strategy::greedy && !positive_and_finite(temperature))
    throw Error("sampling options: temperature must be positive and finite, got " + str(temperature) +
                " (for the most likely token use the greedy strategy)");
  if (strategy == Strategy::top_k && top_k < 1)
    throw Error("sampling options: top_k must be at least 1, got " + std::to_string(top_k));
  if (strategy == Strategy::top_p && !(top_p > 0.0f && top_p <= 1.0f))
    throw Error("sampling options: top_p must be in (0, 1], got " + str(top_p));
  if (!positive_and_finite(repetition_penalty))
    throw Error("sampling options: repetition_penalty must be positive and finite, got " + str(repetition_penalty) +
                " (1 means none)");
}

// [next_token]
int next_token(std::span<float> logits, std::span<const int> previous, const SamplingOptions& options,
               Generator& gen) {
  options.validate();
  if (options.repetition_penalty != 1.0f) repetition_penalty(logits, previous, options.repetition_penalty);
  if (options.strategy == Strategy::greedy) return greedy(logits);  // no draw: gen is untouched
  apply_temperature(logits, options.temperature);
  // Filter after the temperature, as Hugging Face's generate does: top-p's nucleus is
  // measured on the tempered distribution.
  if (options.strategy == Strategy::top_k) top_k_filter(logits, options.top_k);
  if (options.strategy == Strategy::top_p) top_p_filter(logits, options.top_p);
  return sample(logits, gen);
}
// [next_token]

// [beam_search]
namespace {

// One way to continue: beam `beam` followed by `token` (-1: a finished beam as it is).
struct Candidate {
  double score;
  int beam;
  int token;
};

// Best first; ties go to the lower beam, then the lower token (so results are reproducible).
bool better(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.beam != b.beam) return a.beam < b.beam;
  return a.token < b.token;
}

}  // namespace

std::vector<Beam> beam_search_step(const std::vector<Beam>& beams, const std::vector<std::vector<float>>& log_probs,
                                   int64_t width, int stop_id) {
  if (width < 1) throw Error("beam_search_step: width must be at least 1, got " + std::to_string(width));
  if (log_probs.size() != beams.size())
    throw Error("beam_search_step: " + std::to_string(beams.size()) + " beams but " +
                std::to_string(log_probs.size()) + " rows of log-probabilities; give one row per beam");
  std::vector<Candidate> pool;
  for (size_t b = 0; b < beams.size(); ++b) {
    const int beam = static_cast<int>(b);
    if (beams[b].finished) {
      pool.push_back({beams[b].log_prob, beam, -1});
      continue;
    }
    // Only this beam's `width` best tokens can be among the `width` best overall (its own
    // better ones would already fill the places), so the rest of the row is not kept.
    std::vector<Candidate> row;
    row.reserve(log_probs[b].size());
    for (size_t t = 0; t < log_probs[b].size(); ++t)
      row.push_back({beams[b].log_prob + log_probs[b][t], beam, static_cast<int>(t)});
    const size_t keep = std::min(row.size(), static_cast<size_t>(width));
    std::partial_sort(row.begin(), row.begin() + keep, row.end(), better);
    pool.insert(pool.end(), row.begin(), row.begin() + keep);
  }
  const size_t keep = std::min(pool.size(), static_cast<size_t>(width));
  std::partial_sort(pool.begin(), pool.begin() + keep, pool.end(), better);

  std::vector<Beam> next;
  next.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    const Candidate& c = pool[i];
    Beam beam = beams[c.beam];  // a finished beam is carried over unchanged
    if (c.token >= 0) {
      beam.ids.push_back(c.token);
      beam.log_prob = c.score;
      beam.finished = stop_id >= 0 && c.token == stop_id;
    }
    next.push_back(std::move(beam));
  }
  return next;
}

Beam beam_search(const NextLogProbs& next, int64_t width, int64_t max_new_tokens, int stop_id) {
  if (width < 1) throw Error("beam_search: width must be at least 1, got " + std::to_string(width));
  if (max_new_tokens < 0)
    throw Error("beam_search: max_new_tokens must be >= 0, got " + std::to_string(max_new_tokens));
  std::vector<Beam> beams(1);  // one empty beam: just the prompt
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    // Ask the model only about the beams still going; finished ones get an empty row.
    std::vector<size_t> open;
    std::vector<std::vector<int>> sequences;
    for (size_t b = 0; b < beams.size(); ++b)
      if (!beams[b].finished) {
        open.push_back(b);
        sequences.push_back(beams[b].ids);
      }
    if (open.empty()) break;  // every beam ended with the stop token
    std::vector<std::vector<float>> rows = next(sequences);
    if (rows.size() != open.size())
      throw Error("beam_search: the model returned " + std::to_string(rows.size()) + " rows for " +
                  std::to_string(open.size()) + " beams; it must return one row per beam");
    std::vector<std::vector<float>> log_probs(beams.size());
    for (size_t i = 0; i < open.size(); ++i) log_probs[open[i]] = std::move(rows[i]);
    beams = beam_search_step(beams, log_probs, width, stop_id);
    if (beams.empty()) throw Error("beam_search: the model returned rows of 0 tokens; there is nothing to choose");
  }
  // beam_search_step returns the beams best first, and a beam's score is its log_prob.
  return beams.front();
}
// [beam_search]

// [distinct_n]
double distinct_n(std::span<const int> ids, int n) {
  if (n < 1) throw Error("distinct_n: n must be at least 1, got " + std::to_string(n));
  if (ids.size() < static_cast<size_t>(n)) return 0.0;
  std::set<std::vector<int>> seen;
  const size_t total = ids.size() - n + 1;
  for (size_t i = 0; i < total; ++i) seen.emplace(ids.begin() + i, ids.begin() + i + n);
  return static_cast<double>(seen.size()) / static_cast<double>(total);
}
// [distinct_n]

}  // namespace dl::decode
