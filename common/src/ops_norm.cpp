// Normalisation: batch normalisation over (B, H, W) for each channel, and layer
// normalisation over the last dimension (a plain kernel pair, then the op that records it).
#include <algorithm>
#include <cmath>
#include <vector>

#include "dl/conv.hpp"
#include "dl/eigen.hpp"
#include "dl/ops.hpp"
#include "dl/threads.hpp"
#include "op_helpers.hpp"

namespace dl {

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, float momentum, float eps) {
  // x: (B,C,H,W)  weight, bias, running_mean, running_var: (C)  out: (B,C,H,W)
  if (x.dim() != 4) throw ShapeError("batch_norm2d: expected input (B,C,H,W), got " + to_string(x.shape()));
  const int64_t batch = x.size(0), channels = x.size(1), plane = x.size(2) * x.size(3);
  for (const Tensor* t : {&weight, &bias, static_cast<const Tensor*>(&running_mean), static_cast<const Tensor*>(&running_var)})
    if (t->shape() != Shape{channels})
      throw ShapeError("batch_norm2d: input " + to_string(x.shape()) + " has " + std::to_string(channels) +
                       " channels but a parameter or statistic has shape " + to_string(t->shape()));
  const int64_t m = batch * plane;  // values per channel
  if (training && m < 2)
    throw ShapeError("batch_norm2d: training needs more than one value per channel, got input " + to_string(x.shape()));

  // Per channel: the mean and 1/sqrt(var + eps) used to normalise.
  Tensor mean = Tensor::empty({channels}), inv_std = Tensor::empty({channels});
  const float* px = x.data();
  for (int64_t c = 0; c < channels; ++c) {
    double mu, var;
    if (training) {
      double sum = 0, sum_sq = 0;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < plane; ++i) {
          const double v = px[(b * channels + c) * plane + i];
          sum += v;
          sum_sq += v * v;
        }
      mu = sum / static_cast<double>(m);
      var = std::max(0.0, sum_sq / static_cast<double>(m) - mu * mu);  // biased, for normalising
      float& rm = running_mean.data()[c];
      float& rv = running_var.data()[c];
      rm = static_cast<float>((1.0 - momentum) * rm + momentum * mu);
      rv = static_cast<float>((1.0 - momentum) * rv + momentum * var * static_cast<double>(m) / static_cast<double>(m - 1));
    } else {
      mu = running_mean.data()[c];
      var = running_var.data()[c];
    }
    mean.data()[c] = static_cast<float>(mu);
    inv_std.data()[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
  }

  // xhat = (x - mean) * inv_std is saved for the backward; out = weight * xhat + bias.
  Tensor xhat = Tensor::empty(x.shape()), out = Tensor::empty(x.shape());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t base = (b * channels + c) * plane;
      const float mu = mean.data()[c], s = inv_std.data()[c], w = weight.data()[c], sh = bias.data()[c];
      for (int64_t i = 0; i < plane; ++i) {
        const float h = (px[base + i] - mu) * s;
        xhat.data()[base + i] = h;
        out.data()[base + i] = w * h + sh;
      }
    }

  record(out, "batch_norm2d", {x, weight, bias},
         [x, weight, bias, xhat, inv_std, training, batch, channels, plane, m](const Tensor&, const Tensor& dout) {
           const float *g = dout.data(), *h = xhat.data();
           for (int64_t c = 0; c < channels; ++c) {
             double sum_g = 0, sum_gh = 0;  // sum(dout), sum(dout * xhat) over the channel
             for (int64_t b = 0; b < batch; ++b)
               for (int64_t i = 0; i < plane; ++i) {
                 const int64_t at = (b * channels + c) * plane + i;
                 sum_g += g[at];
                 sum_gh += static_cast<double>(g[at]) * h[at];
               }
             // out = w * xhat + b  =>  dw += sum(dout * xhat),  db += sum(dout)
             if (weight.requires_grad()) grad_data(weight)[c] += static_cast<float>(sum_gh);
             if (bias.requires_grad()) grad_data(bias)[c] += static_cast<float>(sum_g);
             if (!x.requires_grad()) continue;
             // Training: mean and variance depend on x too, which gives the two correction terms:
             //   dx = w * inv_std / m * (m * dout - sum(dout) - xhat * sum(dout * xhat))
             // Evaluation: the statistics are constants, dx = w * inv_std * dout.
             float* dx = grad_data(x);
             const float scale = weight.data()[c] * inv_std.data()[c];
             const float mean_g = training ? static_cast<float>(sum_g / static_cast<double>(m)) : 0.0f;
             const float mean_gh = training ? static_cast<float>(sum_gh / static_cast<double>(m)) : 0.0f;
             for (int64_t b = 0; b < batch; ++b)
               for (int64_t i = 0; i < plane; ++i) {
                 const int64_t at = (b * channels + c) * plane + i;
                 dx[at] += scale * (g[at] - mean_g - h[at] * mean_gh);
               }
           }
         });
  return out;
}

// [layernorm]
namespace {
// Rows are independent; below this many elements a fork and join costs more than it saves.
constexpr int64_t kParallelLayerNormElements = 1 << 15;
}  // namespace

// [layernorm-forward]
void layernorm_forward(const float* x, const float* weight, const float* bias, float* out, float* mean, float* rstd,
                       int64_t rows, int64_t channels, float eps) {
  // x: (rows, C)  weight, bias: (C) or null  out: (rows, C)  mean, rstd: (rows)
#pragma omp parallel for schedule(static) if (rows * channels >= kParallelLayerNormElements && num_threads() > 1)
  for (int64_t r = 0; r < rows; ++r) {
    const ConstArrMap row(x + r * channels, channels);
    ArrMap y(out + r * channels, channels);
    const float mu = row.mean();
    // Two passes (mean, then squared deviations): no cancellation for rows far from zero.
    const float var = (row - mu).square().mean();
    const float s = 1.0f / std::sqrt(var + eps);
    mean[r] = mu;
    rstd[r] = s;
    y = (row - mu) * s;
    if (weight) y *= ConstArrMap(weight, channels);
    if (bias) y += ConstArrMap(bias, channels);
  }
}
// [layernorm-forward]

// [layernorm-backward]
void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean, const float* rstd,
                        float* dx, float* dweight, float* dbias, int64_t rows, int64_t channels) {
  // out = xhat * w + b, xhat = (x - mean) * rstd
  //   =>  dw += sum_rows dout * xhat,  db += sum_rows dout,
  //       dx += rstd * (g - mean(g) - xhat * mean(g * xhat))  with g = dout * w  (mean over the row)
  if (dx) {
    // Without a weight, g = dout: a row of ones stands in for it (one allocation, not one per row).
    const std::vector<float> ones(weight ? 0 : static_cast<size_t>(channels), 1.0f);
    const ConstArrMap w(weight ? weight : ones.data(), channels);
    const float inv_c = 1.0f / static_cast<float>(channels);
#pragma omp parallel for schedule(static) if (rows * channels >= kParallelLayerNormElements && num_threads() > 1)
    for (int64_t r = 0; r < rows; ++r) {
      const ConstArrMap dy(dout + r * channels, channels), row(x + r * channels, channels);
      const float mu = mean[r], s = rstd[r];
      // Expressions only (no temporaries): xhat = (row - mu) * s, g = dy * w.
      const float mean_g = (dy * w).sum() * inv_c;
      const float mean_gx = (dy * w * (row - mu)).sum() * s * inv_c;
      ArrMap(dx + r * channels, channels) += s * (dy * w - mean_g - (row - mu) * (s * mean_gx));
    }
  }
  // The parameter gradients sum over rows. Rows are cut into fixed blocks (not one per
  // thread), each block summed in float in parallel, and the blocks added in order in
  // double: the same result for any thread count, without a serial pass over every row.
  if (dweight || dbias) {
    constexpr int64_t kBlockRows = 256;
    const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    std::vector<float> partial_gx(static_cast<size_t>(blocks * channels), 0.0f);
    std::vector<float> partial_g(static_cast<size_t>(blocks * channels), 0.0f);
#pragma omp parallel for schedule(static) if (rows * channels >= kParallelLayerNormElements && num_threads() > 1)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      ArrMap sum_gx(partial_gx.data() + blk * channels, channels), sum_g(partial_g.data() + blk * channels, channels);
      for (int64_t r = blk * kBlockRows; r < std::min(rows, (blk + 1) * kBlockRows); ++r) {
        const ConstArrMap dy(dout + r * channels, channels), row(x + r * channels, channels);
        if (dweight) sum_gx += dy * (row - mean[r]) * rstd[r];
        if (dbias) sum_g += dy;
      }
    }
    Eigen::ArrayXd total_gx = Eigen::ArrayXd::Zero(channels), total_g = Eigen::ArrayXd::Zero(channels);
    for (int64_t blk = 0; blk < blocks; ++blk) {
      total_gx += ConstArrMap(partial_gx.data() + blk * channels, channels).cast<double>();
      total_g += ConstArrMap(partial_g.data() + blk * channels, channels).cast<double>();
    }
    if (dweight) ArrMap(dweight, channels) += total_gx.cast<float>();
    if (dbias) ArrMap(dbias, channels) += total_g.cast<float>();
  }
}
// [layernorm-backward]
// [layernorm]

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  // x: (..., C)  weight, bias: (C) or undefined  out: (..., C)
  if (x.dim() == 0 || x.size(-1) == 0)
    throw ShapeError("layer_norm: expected input (..., C) with C > 0, got " + to_string(x.shape()));
  const int64_t channels = x.size(-1), rows = x.numel() / channels;
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && p->shape() != Shape{channels})
      throw ShapeError("layer_norm: input " + to_string(x.shape()) + " normalises over its last dimension of " +
                       std::to_string(channels) + " but " + (p == &weight ? "weight" : "bias") + " has shape " +
                       to_string(p->shape()) + "; expected [" + std::to_string(channels) + "]");
  if (!(eps > 0.0f)) throw Error("layer_norm: eps must be positive, got " + std::to_string(eps));
  Tensor out = Tensor::empty(x.shape());
  // What the backward needs besides x and the weight: each row's mean and 1/std.
  struct Saved {
    Tensor mean, rstd;  // (rows) each
  };
  Saved saved{Tensor::empty({rows}), Tensor::empty({rows})};
  layernorm_forward(x.data(), weight.defined() ? weight.data() : nullptr, bias.defined() ? bias.data() : nullptr,
                    out.data(), saved.mean.data(), saved.rstd.data(), rows, channels, eps);
  record(out, "layer_norm", {x, weight, bias}, [x, weight, bias, saved, rows, channels](const Tensor&, const Tensor& dout) {
    layernorm_backward(dout.data(), x.data(), weight.defined() ? weight.data() : nullptr, saved.mean.data(),
                       saved.rstd.data(), x.requires_grad() ? grad_data(x) : nullptr,
                       weight.defined() && weight.requires_grad() ? grad_data(weight) : nullptr,
                       bias.defined() && bias.requires_grad() ? grad_data(bias) : nullptr, rows, channels);
  });
  return out;
}

}  // namespace dl
