// Batch normalisation over (B, H, W) for each channel.
#include <cmath>

#include "dl/conv.hpp"
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

}  // namespace dl
