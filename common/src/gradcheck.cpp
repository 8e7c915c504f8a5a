// Central-difference gradient checking, accumulated in double.
#include "dl/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "dl/ops.hpp"

namespace dl {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                          const GradcheckOptions& options) {
  for (Tensor& x : inputs) x.zero_grad();
  Tensor out = f(inputs);
  Generator gen(options.seed);
  const Tensor upstream = Tensor::randn(out.shape(), gen);

  // L = sum(out * R), in double, for the numeric side.
  auto probe = [&]() {
    no_grad guard;
    const Tensor y = f(inputs);
    double total = 0.0;
    for (int64_t i = 0; i < y.numel(); ++i) total += static_cast<double>(y.data()[i]) * upstream.data()[i];
    return total;
  };

  if (out.requires_grad()) out.backward(upstream);

  GradcheckResult result;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    const Tensor analytic = x.grad().defined() ? x.grad().clone() : Tensor::zeros(x.shape());
    float* p = x.data();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float saved = p[i];
      p[i] = saved + options.eps;
      const double plus = probe();
      p[i] = saved - options.eps;
      const double minus = probe();
      p[i] = saved;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      const double a = analytic.data()[i];
      const double ratio = std::abs(a - numeric) / (options.atol + options.rtol * std::abs(numeric));
      ++result.checked;
      // A NaN anywhere counts as the worst possible error.
      const double r = std::isnan(ratio) ? INFINITY : ratio;
      if (r > result.worst_ratio || result.worst.empty()) {
        result.worst_ratio = r;
        std::ostringstream s;
        s << "input " << k << " element " << i << ": analytic " << a << " numeric " << numeric;
        result.worst = s.str();
      }
    }
    x.zero_grad();
  }
  result.ok = result.worst_ratio <= 1.0;
  return result;
}

}  // namespace dl
