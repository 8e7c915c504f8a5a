// Losses: softmax cross-entropy (fused, with label smoothing and an ignored index), NLL and MSE.
#include <cmath>
#include <optional>
#include <vector>

#include "dl/threads.hpp"
#include "dl/eigen.hpp"
#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {

namespace {

// Checks (N,C) scores against N class indices; a target equal to `ignored` (if given) is allowed too.
void check_targets(const Tensor& scores, std::span<const int> targets, const char* op,
                   std::optional<int> ignored = std::nullopt) {
  if (scores.dim() != 2)
    throw ShapeError(std::string(op) + ": expected scores of shape (N,C), got " + to_string(scores.shape()));
  if (static_cast<int64_t>(targets.size()) != scores.size(0))
    throw ShapeError(std::string(op) + ": " + to_string(scores.shape()) + " scores but " +
                     std::to_string(targets.size()) + " targets; need one target per row");
  if (scores.size(0) == 0) throw ShapeError(std::string(op) + ": empty batch");
  const int64_t classes = scores.size(1);
  for (size_t i = 0; i < targets.size(); ++i)
    if ((targets[i] < 0 || targets[i] >= classes) && targets[i] != ignored)
      throw ShapeError(std::string(op) + ": target " + std::to_string(targets[i]) + " at row " + std::to_string(i) +
                       " is not a class index in [0, " + std::to_string(classes) + ")" +
                       (ignored ? " nor the ignored index " + std::to_string(*ignored) : std::string()));
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, std::span<const int> targets, float label_smoothing) {
  return cross_entropy(logits, targets, CrossEntropyOptions{.label_smoothing = label_smoothing});
}

Tensor cross_entropy(const Tensor& logits, std::span<const int> targets, const CrossEntropyOptions& options) {
  // logits: (N,C)  targets: (N)  out: () = mean over counted n of [ -sum_c q[n,c] log softmax(logits[n])_c ]
  // with q = (1 - eps) onehot(target) + eps / C; rows whose target is ignore_index are not counted
  const float label_smoothing = options.label_smoothing;
  const int ignore_index = options.ignore_index;
  check_targets(logits, targets, "cross_entropy", ignore_index);
  if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f))
    throw Error("cross_entropy: label_smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
  const int64_t n = logits.size(0), c = logits.size(1);
  const float off = label_smoothing / static_cast<float>(c), on = 1.0f - label_smoothing + off;
  int64_t counted = 0;
  for (const int t : targets) counted += t != ignore_index;
  Tensor log_probs = Tensor::empty(logits.shape());  // saved for backward
  std::vector<double> row_loss(static_cast<size_t>(n));
  // Rows are independent: vectorised along the row, in parallel across rows (a language
  // model's output layer has thousands of classes). Row losses are summed in order below,
  // so the result does not depend on the thread count.
#pragma omp parallel for schedule(static) if (n * c >= (1 << 16) && num_threads() > 1)
  for (int64_t r = 0; r < n; ++r) {
    const int target = targets[static_cast<size_t>(r)];
    if (target == ignore_index) {  // neither loss nor gradient: its log-probabilities are never read
      row_loss[static_cast<size_t>(r)] = 0.0;
      continue;
    }
    const ConstArrMap row(logits.data() + r * c, c);
    ArrMap lp(log_probs.data() + r * c, c);
    const float m = row.maxCoeff();
    lp = row - m;
    const float log_z = std::log(lp.exp().sum());  // every exp(x - m) <= 1: no overflow
    lp -= log_z;
    // -sum_k q_k lp_k with q = off everywhere plus (on - off) at the target
    row_loss[static_cast<size_t>(r)] = -(static_cast<double>(off) * lp.sum() + static_cast<double>(on - off) * lp[target]);
  }
  double total = 0.0;
  for (double v : row_loss) total += v;
  // No counted row: 0 rather than 0/0 (see CrossEntropyOptions::ignore_index).
  Tensor out = Tensor::scalar(counted ? static_cast<float>(total / static_cast<double>(counted)) : 0.0f);
  std::vector<int> saved_targets(targets.begin(), targets.end());
  record(out, "cross_entropy", {logits},
         [logits, log_probs, saved_targets, on, off, counted, ignore_index](const Tensor&, const Tensor& dout) {
           // loss = mean_n -sum_c q log p  =>  dlogits[n,c] += (p[n,c] - q[n,c]) / counted * dout  (0 if ignored)
           const int64_t n = logits.size(0), c = logits.size(1);
           const float scale = counted ? dout.item() / static_cast<float>(counted) : 0.0f;
           const GradSink dx = grad_sink(logits);
#pragma omp parallel for schedule(static) if (n * c >= (1 << 16) && num_threads() > 1)
           for (int64_t r = 0; r < n; ++r) {
             ArrMap d(dx.data + r * c, c);
             const int target = saved_targets[static_cast<size_t>(r)];
             if (target == ignore_index) {
               if (dx.fresh) d.setZero();
               continue;
             }
             const ConstArrMap lp(log_probs.data() + r * c, c);
             if (dx.fresh)
               d = (lp.exp() - off) * scale;
             else
               d += (lp.exp() - off) * scale;
             d[target] -= (on - off) * scale;
           }
         });
  return out;
}

Tensor nll_loss(const Tensor& log_probs, std::span<const int> targets) {
  // log_probs: (N,C)  targets: (N)  out: () = -mean_n log_probs[n, target[n]]
  check_targets(log_probs, targets, "nll_loss");
  const int64_t n = log_probs.size(0), c = log_probs.size(1);
  double total = 0.0;
  for (int64_t r = 0; r < n; ++r) total -= log_probs.data()[r * c + targets[static_cast<size_t>(r)]];
  Tensor out = Tensor::scalar(static_cast<float>(total / static_cast<double>(n)));
  std::vector<int> saved_targets(targets.begin(), targets.end());
  record(out, "nll_loss", {log_probs}, [log_probs, saved_targets](const Tensor&, const Tensor& dout) {
    // loss = -mean_n lp[n, t_n]  =>  dlp[n, t_n] -= dout / N
    const int64_t n = log_probs.size(0), c = log_probs.size(1);
    float* dx = grad_data(log_probs);
    for (int64_t r = 0; r < n; ++r) dx[r * c + saved_targets[static_cast<size_t>(r)]] -= dout.item() / static_cast<float>(n);
  });
  return out;
}

Tensor mse_loss(const Tensor& prediction, const Tensor& target) {
  // prediction, target: same shape  out: () = mean (prediction - target)^2
  if (prediction.shape() != target.shape())
    throw ShapeError("mse_loss: prediction " + to_string(prediction.shape()) + " and target " +
                     to_string(target.shape()) + " differ (no broadcasting in a loss, to catch (N,1) vs (N) mistakes)");
  if (prediction.numel() == 0) throw ShapeError("mse_loss: empty tensors");
  const float *p = prediction.data(), *t = target.data();
  double total = 0.0;
  for (int64_t i = 0; i < prediction.numel(); ++i) total += static_cast<double>(p[i] - t[i]) * (p[i] - t[i]);
  Tensor out = Tensor::scalar(static_cast<float>(total / static_cast<double>(prediction.numel())));
  record(out, "mse_loss", {prediction, target}, [prediction, target](const Tensor&, const Tensor& dout) {
    // loss = mean (p - t)^2  =>  dp += 2 (p - t) / n * dout,  dt -= the same
    const int64_t n = prediction.numel();
    const float scale = 2.0f * dout.item() / static_cast<float>(n);
    const float *p = prediction.data(), *t = target.data();
    if (prediction.requires_grad()) {
      float* dp = grad_data(prediction);
      for (int64_t i = 0; i < n; ++i) dp[i] += (p[i] - t[i]) * scale;
    }
    if (target.requires_grad()) {
      float* dt = grad_data(target);
      for (int64_t i = 0; i < n; ++i) dt[i] -= (p[i] - t[i]) * scale;
    }
  });
  return out;
}

}  // namespace dl
