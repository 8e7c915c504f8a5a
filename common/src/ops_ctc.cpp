// CTC: the loss (forward-backward over the target with blanks between its labels, in log
// space) and decoding (greedy and prefix beam search).
#include "dl/ctc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "dl/autograd.hpp"
#include "dl/error.hpp"
#include "dl/threads.hpp"

namespace dl {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log(e^a + e^b), exact when either is -inf.
double log_add(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  const double m = std::max(a, b);
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

// One sequence of the batch, with what the forward saves for the backward.
struct CtcSequence {
  int64_t frames = 0;          // input length T_b
  std::vector<int> extended;   // l': blank, l_1, blank, l_2, ..., blank  (S = 2L+1)
  std::vector<double> alpha;   // (T_b, S) log α, row-major
  double log_p = kNegInf;      // log p(target | input)
};

// l'_s may be reached from l'_{s-2} (skipping the blank between) when it is a label that
// differs from the label two positions back.
bool can_skip(const std::vector<int>& ext, size_t s, int blank) {
  return s >= 2 && ext[s] != blank && ext[s] != ext[s - 2];
}

// [ctc-forward]
// The forward recursion of one sequence.  lp(t, c) reads log_probs[t, b, c].
template <class LogProb>
void ctc_alpha(CtcSequence& q, const LogProb& lp, int blank) {
  const size_t S = q.extended.size();
  const int64_t T = q.frames;
  q.alpha.assign(static_cast<size_t>(T) * S, kNegInf);
  // A path starts in the leading blank or in the first label.
  q.alpha[0] = lp(0, q.extended[0]);
  if (S > 1) q.alpha[1] = lp(0, q.extended[1]);
  for (int64_t t = 1; t < T; ++t) {
    const double* prev = q.alpha.data() + (t - 1) * static_cast<int64_t>(S);
    double* cur = q.alpha.data() + t * static_cast<int64_t>(S);
    for (size_t s = 0; s < S; ++s) {
      // α_t(s) = (α_{t-1}(s) + α_{t-1}(s-1) [+ α_{t-1}(s-2)]) y_t(l'_s)
      double a = prev[s];
      if (s >= 1) a = log_add(a, prev[s - 1]);
      if (can_skip(q.extended, s, blank)) a = log_add(a, prev[s - 2]);
      cur[s] = a == kNegInf ? kNegInf : a + lp(t, q.extended[s]);
    }
  }
  // A path ends in the last label or the trailing blank.
  const double* last = q.alpha.data() + (T - 1) * static_cast<int64_t>(S);
  q.log_p = S > 1 ? log_add(last[S - 1], last[S - 2]) : last[0];
}
// [ctc-forward]

std::string str(int64_t v) { return std::to_string(v); }

void check_ctc_inputs(const Tensor& log_probs, std::span<const int> targets, std::span<const int64_t> input_lengths,
                      std::span<const int64_t> target_lengths, int blank) {
  if (log_probs.dim() != 3)
    throw ShapeError("ctc_loss: log_probs must be (T,B,C), got " + to_string(log_probs.shape()) +
                     "; for one sequence reshape (T,C) to (T,1,C)");
  const int64_t T = log_probs.size(0), B = log_probs.size(1), C = log_probs.size(2);
  if (T == 0 || B == 0 || C == 0) throw ShapeError("ctc_loss: log_probs " + to_string(log_probs.shape()) + " is empty");
  if (static_cast<int64_t>(input_lengths.size()) != B || static_cast<int64_t>(target_lengths.size()) != B)
    throw ShapeError("ctc_loss: log_probs " + to_string(log_probs.shape()) + " has B = " + str(B) + " sequences but " +
                     str(static_cast<int64_t>(input_lengths.size())) + " input lengths and " +
                     str(static_cast<int64_t>(target_lengths.size())) + " target lengths; need one of each per sequence");
  if (blank < 0 || blank >= C)
    throw Error("ctc_loss: blank " + std::to_string(blank) + " is not a class index in [0, " + str(C) + ")");
  int64_t total = 0;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t in = input_lengths[static_cast<size_t>(b)], tl = target_lengths[static_cast<size_t>(b)];
    if (in < 1 || in > T)
      throw Error("ctc_loss: input length " + str(in) + " of sequence " + str(b) + " is not in [1, T = " + str(T) + "]");
    if (tl < 0) throw Error("ctc_loss: target length " + str(tl) + " of sequence " + str(b) + " is negative");
    total += tl;
  }
  if (total != static_cast<int64_t>(targets.size()))
    throw ShapeError("ctc_loss: the target lengths sum to " + str(total) + " but there are " +
                     str(static_cast<int64_t>(targets.size())) +
                     " targets; pass the B targets concatenated, each as long as its target length");
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i] < 0 || targets[i] >= C)
      throw Error("ctc_loss: target " + std::to_string(targets[i]) + " at position " + str(static_cast<int64_t>(i)) +
                  " is not a class index in [0, " + str(C) + ")");
    if (targets[i] == blank)
      throw Error("ctc_loss: target at position " + str(static_cast<int64_t>(i)) + " is the blank (" +
                  std::to_string(blank) + "); targets hold labels only");
  }
}

void check_decode_inputs(const Tensor& lp, int64_t length, int blank, const char* op) {
  if (lp.dim() != 2)
    throw ShapeError(std::string(op) + ": expected the (T,C) scores of one sequence, got " + to_string(lp.shape()) +
                     "; for sequence b of a (T,B,C) batch take slice(x, 1, b, b + 1).reshape({T, C})");
  if (lp.size(1) == 0) throw ShapeError(std::string(op) + ": no classes in " + to_string(lp.shape()));
  if (length < 0 || length > lp.size(0))
    throw Error(std::string(op) + ": length " + str(length) + " is not in [0, T = " + str(lp.size(0)) + "]");
  if (blank < 0 || blank >= lp.size(1))
    throw Error(std::string(op) + ": blank " + std::to_string(blank) + " is not a class index in [0, " +
                str(lp.size(1)) + ")");
}

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, std::span<const int> targets, std::span<const int64_t> input_lengths,
                std::span<const int64_t> target_lengths, const CtcOptions& options) {
  // log_probs: (T,B,C)  targets: sum(L_b)  input_lengths, target_lengths: (B)  out: () or (B)
  const int blank = options.blank;
  check_ctc_inputs(log_probs, targets, input_lengths, target_lengths, blank);
  const int64_t B = log_probs.size(1), C = log_probs.size(2);
  const float* x = log_probs.data();

  auto seqs = std::make_shared<std::vector<CtcSequence>>(static_cast<size_t>(B));
  std::vector<int64_t> offset(static_cast<size_t>(B), 0);
  for (int64_t b = 1; b < B; ++b)
    offset[static_cast<size_t>(b)] = offset[static_cast<size_t>(b - 1)] + target_lengths[static_cast<size_t>(b - 1)];
  for (int64_t b = 0; b < B; ++b) {
    CtcSequence& q = (*seqs)[static_cast<size_t>(b)];
    q.frames = input_lengths[static_cast<size_t>(b)];
    const int64_t L = target_lengths[static_cast<size_t>(b)];
    q.extended.assign(static_cast<size_t>(2 * L + 1), blank);
    for (int64_t i = 0; i < L; ++i)
      q.extended[static_cast<size_t>(2 * i + 1)] = targets[static_cast<size_t>(offset[static_cast<size_t>(b)] + i)];
  }
  // Sequences are independent: one per thread, each writing only its own slot.
#pragma omp parallel for schedule(dynamic) if (B > 1 && num_threads() > 1)
  for (int64_t b = 0; b < B; ++b) {
    const auto lp = [&](int64_t t, int c) { return static_cast<double>(x[(t * B + b) * C + c]); };
    ctc_alpha((*seqs)[static_cast<size_t>(b)], lp, blank);
  }

  // Each sequence's loss, and the weight its gradient gets from the reduction.
  std::vector<double> loss(static_cast<size_t>(B));
  std::vector<double> weight(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const double nll = -(*seqs)[static_cast<size_t>(b)].log_p;
    const bool infinite = std::isinf(nll);
    loss[static_cast<size_t>(b)] = infinite && options.zero_infinity ? 0.0 : nll;
    const double length = static_cast<double>(std::max<int64_t>(target_lengths[static_cast<size_t>(b)], 1));
    weight[static_cast<size_t>(b)] =
        options.reduction == CtcReduction::mean ? 1.0 / (length * static_cast<double>(B)) : 1.0;
  }
  Tensor out;
  if (options.reduction == CtcReduction::none) {
    out = Tensor::empty({B});
    for (int64_t b = 0; b < B; ++b) out.data()[b] = static_cast<float>(loss[static_cast<size_t>(b)]);
  } else {
    double total = 0.0;
    for (int64_t b = 0; b < B; ++b) total += loss[static_cast<size_t>(b)] * weight[static_cast<size_t>(b)];
    out = Tensor::scalar(static_cast<float>(total));
  }

  const bool per_sequence = options.reduction == CtcReduction::none;
  record(out, "ctc_loss", {log_probs}, [log_probs, seqs, weight, blank, per_sequence](const Tensor&, const Tensor& dout) {
    // loss_b = -log p_b,  p_b = Σ_s α_t(s) β_t(s) / y_t(l'_s) for every t, and each path holds
    // y_t(c) once per frame, so  d loss_b / d log y_t(c) = -Σ_{s: l'_s = c} α_t(s) β_t(s) / (y_t(c) p_b)
    const int64_t B = log_probs.size(1), C = log_probs.size(2);
    const float* x = log_probs.data();
    float* dx = grad_data(log_probs);
#pragma omp parallel for schedule(dynamic) if (B > 1 && num_threads() > 1)
    for (int64_t b = 0; b < B; ++b) {
      const CtcSequence& q = (*seqs)[static_cast<size_t>(b)];
      if (!std::isfinite(q.log_p)) continue;  // an impossible target: no gradient
      const double g = static_cast<double>(per_sequence ? dout.data()[b] : dout.item()) * weight[static_cast<size_t>(b)];
      if (g == 0.0) continue;
      const auto lp = [&](int64_t t, int c) { return static_cast<double>(x[(t * B + b) * C + c]); };
      const size_t S = q.extended.size();
      const int64_t T = q.frames;
      // β_t(s): the paths from (t, s) to the end, y_t(l'_s) included; two rows suffice.
      std::vector<double> beta(S, kNegInf), next(S, kNegInf);
      std::vector<double> per_class(static_cast<size_t>(C));
      for (int64_t t = T - 1; t >= 0; --t) {
        for (size_t s = 0; s < S; ++s) {
          double v;
          if (t == T - 1) {
            v = s + 2 >= S ? 0.0 : kNegInf;  // ends in the last label or the trailing blank
          } else {
            // β_t(s) = (β_{t+1}(s) + β_{t+1}(s+1) [+ β_{t+1}(s+2)]) y_t(l'_s)
            v = next[s];
            if (s + 1 < S) v = log_add(v, next[s + 1]);
            if (s + 2 < S && can_skip(q.extended, s + 2, blank)) v = log_add(v, next[s + 2]);
          }
          beta[s] = v == kNegInf ? kNegInf : v + lp(t, q.extended[s]);
        }
        std::fill(per_class.begin(), per_class.end(), kNegInf);
        const double* alpha = q.alpha.data() + t * static_cast<int64_t>(S);
        for (size_t s = 0; s < S; ++s) {
          const size_t c = static_cast<size_t>(q.extended[s]);
          per_class[c] = log_add(per_class[c], alpha[s] + beta[s]);
        }
        float* d = dx + (t * B + b) * C;
        for (int64_t c = 0; c < C; ++c) {
          const double ab = per_class[static_cast<size_t>(c)];
          if (ab == kNegInf) continue;
          d[c] -= static_cast<float>(g * std::exp(ab - lp(t, static_cast<int>(c)) - q.log_p));
        }
        std::swap(beta, next);
      }
    }
  });
  return out;
}

std::vector<int> ctc_collapse(std::span<const int> frame_labels, int blank) {
  std::vector<int> labels;
  for (size_t t = 0; t < frame_labels.size(); ++t) {
    const int c = frame_labels[t];
    if (c != blank && (t == 0 || frame_labels[t - 1] != c)) labels.push_back(c);
  }
  return labels;
}

std::vector<int> ctc_greedy_decode(const Tensor& log_probs_tc, int64_t length, int blank) {
  // log_probs_tc: (T,C)  ->  collapse(argmax_c over the first `length` frames)
  check_decode_inputs(log_probs_tc, length, blank, "ctc_greedy_decode");
  const int64_t C = log_probs_tc.size(1);
  std::vector<int> best(static_cast<size_t>(length));
  for (int64_t t = 0; t < length; ++t) {
    const float* row = log_probs_tc.data() + t * C;
    best[static_cast<size_t>(t)] = static_cast<int>(std::max_element(row, row + C) - row);
  }
  return ctc_collapse(best, blank);
}

CtcBeamResult ctc_prefix_beam_search(const Tensor& log_probs_tc, int64_t length, int beam_width, int blank) {
  // log_probs_tc: (T,C)  ->  the best prefix after `length` frames, keeping `beam_width` prefixes
  check_decode_inputs(log_probs_tc, length, blank, "ctc_prefix_beam_search");
  if (beam_width < 1) throw Error("ctc_prefix_beam_search: beam_width must be at least 1, got " + std::to_string(beam_width));
  const int64_t C = log_probs_tc.size(1);
  // Per prefix: log P(paths so far giving it that end in a blank), and in its last label.
  struct Ending {
    double blank = kNegInf, label = kNegInf;
    double total() const { return log_add(blank, label); }
  };
  using Beam = std::vector<std::pair<std::vector<int>, Ending>>;
  Beam beam{{{}, Ending{0.0, kNegInf}}};  // the empty prefix, with probability 1
  for (int64_t t = 0; t < length; ++t) {
    const float* row = log_probs_tc.data() + t * C;
    std::map<std::vector<int>, Ending> next;
    for (const auto& [prefix, p] : beam) {
      for (int64_t ci = 0; ci < C; ++ci) {
        const int c = static_cast<int>(ci);
        const double y = row[ci];
        if (y == kNegInf) continue;
        if (c == blank) {  // any path + blank keeps the prefix and now ends in a blank
          Ending& e = next[prefix];
          e.blank = log_add(e.blank, p.total() + y);
        } else if (!prefix.empty() && prefix.back() == c) {
          Ending& same = next[prefix];  // a repeat without a blank between merges into it
          same.label = log_add(same.label, p.label + y);
          std::vector<int> longer = prefix;  // after a blank it is a new label
          longer.push_back(c);
          Ending& e = next[longer];
          e.label = log_add(e.label, p.blank + y);
        } else {
          std::vector<int> longer = prefix;
          longer.push_back(c);
          Ending& e = next[longer];
          e.label = log_add(e.label, p.total() + y);
        }
      }
    }
    beam.assign(next.begin(), next.end());  // in lexicographic order, for the stable sort's ties
    std::stable_sort(beam.begin(), beam.end(),
                     [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
    if (beam.size() > static_cast<size_t>(beam_width)) beam.resize(static_cast<size_t>(beam_width));
    if (beam.empty()) break;  // every class of this frame had probability 0
  }
  if (beam.empty()) return {{}, kNegInf};
  return {beam.front().first, beam.front().second.total()};
}

}  // namespace dl
