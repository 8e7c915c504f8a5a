// Reference solution of the exercise attention_forward (chapter 04).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "exercises.hpp"

namespace ex {

dl::Tensor attention_forward(const dl::Tensor& q, const dl::Tensor& k, const dl::Tensor& v,
                             std::span<const int> key_padding) {
  // q: (T, D)  k: (S, D)  v: (S, Dv)  key_padding: S entries or none  out: (T, Dv)
  if (q.dim() != 2 || k.dim() != 2 || v.dim() != 2)
    throw dl::ShapeError("attention_forward: need q (T, D), k (S, D) and v (S, Dv), got q " + dl::to_string(q.shape()) +
                         ", k " + dl::to_string(k.shape()) + " and v " + dl::to_string(v.shape()));
  const int64_t tq = q.size(0), tk = k.size(0), d = q.size(1), dv = v.size(1);
  if (d < 1) throw dl::ShapeError("attention_forward: the head size D is 0 in q " + dl::to_string(q.shape()));
  if (k.size(1) != d)
    throw dl::ShapeError("attention_forward: q " + dl::to_string(q.shape()) + " and k " + dl::to_string(k.shape()) +
                         " must have the same number of columns D");
  if (v.size(0) != tk)
    throw dl::ShapeError("attention_forward: v " + dl::to_string(v.shape()) + " needs one row per key, and k " +
                         dl::to_string(k.shape()) + " has " + std::to_string(tk));
  if (!key_padding.empty() && static_cast<int64_t>(key_padding.size()) != tk)
    throw dl::ShapeError("attention_forward: key_padding has " + std::to_string(key_padding.size()) +
                         " entries, k " + dl::to_string(k.shape()) + " needs one per key");
  for (size_t j = 0; j < key_padding.size(); ++j)
    if (key_padding[j] != 0 && key_padding[j] != 1)
      throw std::invalid_argument("attention_forward: key_padding holds 1 for a real key and 0 for padding, got " +
                                  std::to_string(key_padding[j]) + " at " + std::to_string(j));

  const auto real = [&](int64_t j) { return key_padding.empty() || key_padding[static_cast<size_t>(j)] == 1; };
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const float *pq = q.data(), *pk = k.data(), *pv = v.data();
  dl::Tensor out = dl::Tensor::zeros({tq, dv});
  std::vector<double> w(static_cast<size_t>(tk));
  for (int64_t i = 0; i < tq; ++i) {
    // scores: w_j = (q_i · k_j) / sqrt(D), and their maximum over the real keys
    double top = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < tk; ++j) {
      if (!real(j)) continue;
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += double(pq[i * d + c]) * pk[j * d + c];
      w[static_cast<size_t>(j)] = s * scale;
      top = std::max(top, s * scale);
    }
    if (top == -std::numeric_limits<double>::infinity()) continue;  // no real key: the row stays 0
    // softmax over the real keys: exp(score - max), so the largest weight is exactly 1
    double total = 0;
    for (int64_t j = 0; j < tk; ++j) {
      double& wj = w[static_cast<size_t>(j)];
      wj = real(j) ? std::exp(wj - top) : 0.0;
      total += wj;
    }
    // out_i = sum_j w_j v_j / total
    float* row = out.data() + i * dv;
    for (int64_t c = 0; c < dv; ++c) {
      double acc = 0;
      for (int64_t j = 0; j < tk; ++j) acc += w[static_cast<size_t>(j)] * pv[j * dv + c];
      row[c] = static_cast<float>(acc / total);
    }
  }
  return out;
}

}  // namespace ex
