// Reference solution of the exercise layer_norm_backward (chapter 04).
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "exercises.hpp"

namespace ex {

LayerNormGrads layer_norm_backward(const dl::Tensor& x, const dl::Tensor& gamma, const dl::Tensor& grad_out,
                                   float eps) {
  // x: (N, C)  gamma: (C)  grad_out: (N, C)  dx: (N, C)  dgamma, dbeta: (C)
  if (x.dim() != 2 || gamma.dim() != 1 || gamma.size(0) != x.size(1) || grad_out.shape() != x.shape())
    throw dl::ShapeError("layer_norm_backward: need x (N, C), gamma (C) and grad_out (N, C), got x " +
                         dl::to_string(x.shape()) + ", gamma " + dl::to_string(gamma.shape()) + " and grad_out " +
                         dl::to_string(grad_out.shape()));
  if (!(eps > 0.0f))
    throw std::invalid_argument("layer_norm_backward: eps must be above 0 (it keeps a constant row finite), got " +
                                std::to_string(eps));
  const int64_t rows = x.size(0), cols = x.size(1);
  LayerNormGrads out{dl::Tensor::zeros({rows, cols}), dl::Tensor::zeros({cols}), dl::Tensor::zeros({cols})};
  std::vector<double> dgamma(static_cast<size_t>(cols)), dbeta(static_cast<size_t>(cols));
  std::vector<double> xhat(static_cast<size_t>(cols)), g(static_cast<size_t>(cols));
  for (int64_t n = 0; n < rows; ++n) {
    const float* xr = x.data() + n * cols;
    const float* dy = grad_out.data() + n * cols;
    // The forward again: mu, var (biased), sigma = sqrt(var + eps), xhat = (x - mu) / sigma.
    double mu = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c) mu += xr[c];
    mu /= static_cast<double>(cols);
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
    var /= static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(var + eps);
    double mean_g = 0, mean_gx = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const auto i = static_cast<size_t>(c);
      xhat[i] = (xr[c] - mu) * rstd;
      g[i] = double(dy[c]) * gamma.data()[c];  // y = gamma xhat + beta  =>  dxhat = gamma dy
      dbeta[i] += dy[c];                        //                       =>  dbeta += dy
      dgamma[i] += dy[c] * xhat[i];             //                       =>  dgamma += dy xhat
      mean_g += g[i];
      mean_gx += g[i] * xhat[i];
    }
    mean_g /= static_cast<double>(cols);
    mean_gx /= static_cast<double>(cols);
    // xhat = (x - mu) / sigma, through x itself, mu and sigma:
    //   dx = (1/sigma) (g - mean(g) - xhat mean(g xhat))
    float* dx = out.dx.data() + n * cols;
    for (int64_t c = 0; c < cols; ++c) {
      const auto i = static_cast<size_t>(c);
      dx[c] += static_cast<float>(rstd * (g[i] - mean_g - xhat[i] * mean_gx));
    }
  }
  for (int64_t c = 0; c < cols; ++c) {
    out.dgamma.data()[c] = static_cast<float>(dgamma[static_cast<size_t>(c)]);
    out.dbeta.data()[c] = static_cast<float>(dbeta[static_cast<size_t>(c)]);
  }
  return out;
}

}  // namespace ex
