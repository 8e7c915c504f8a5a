// Matrix products through dl::gemm (OpenBLAS's SGEMM when the library has it, Eigen's GEMM otherwise): matmul (2-D and batched) and the fused linear map.
#include "gemm.hpp"
#include "dl/ops.hpp"
#include "op_helpers.hpp"

namespace dl {

namespace {

[[noreturn]] void inner_mismatch(const Tensor& a, const Tensor& b, int64_t ka, int64_t kb) {
  throw ShapeError("matmul: " + to_string(a.shape()) + " x " + to_string(b.shape()) + ": inner dimensions " +
                   std::to_string(ka) + " and " + std::to_string(kb) + " differ");
}

// One (M,K) x (K,N) product and its two gradient products, on raw row-major memory.
void gemm_forward(const float* a, const float* b, float* c, int64_t m, int64_t k, int64_t n) {
  gemm(c, ConstMatMap(a, m, k), ConstMatMap(b, k, n));
}
void gemm_backward(const float* a, const float* b, const float* dc, GradSink da, GradSink db, int64_t m, int64_t k,
                   int64_t n) {
  // c = a b  =>  da += dc b^T,  db += a^T dc
  if (da.data) write_grad(da, ConstMatMap(dc, m, n), ConstMatMap(b, k, n).transpose());
  if (db.data) write_grad(db, ConstMatMap(a, m, k).transpose(), ConstMatMap(dc, m, n));
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  // a: (M,K) b: (K,N) -> (M,N)   |   a: (B,M,K) b: (B,K,N) -> (B,M,N)   |   a: (B,M,K) b: (K,N) -> (B,M,N)
  const bool batched_b = b.dim() == 3;
  if (a.dim() < 2 || a.dim() > 3 || b.dim() < 2 || b.dim() > 3 || (a.dim() == 2 && batched_b))
    throw ShapeError("matmul: " + to_string(a.shape()) + " x " + to_string(b.shape()) +
                     ": supported are (M,K)x(K,N), (B,M,K)x(B,K,N) and (B,M,K)x(K,N)");
  const int64_t k = a.size(-1), n = b.size(-1);
  if (b.size(-2) != k) inner_mismatch(a, b, k, b.size(-2));
  if (batched_b && a.size(0) != b.size(0))
    throw ShapeError("matmul: " + to_string(a.shape()) + " x " + to_string(b.shape()) + ": batch sizes " +
                     std::to_string(a.size(0)) + " and " + std::to_string(b.size(0)) + " differ");
  // Without a batched b, every row of a meets the same b: one GEMM over all rows.
  const int64_t batches = batched_b ? a.size(0) : 1;
  const int64_t m = batched_b ? a.size(1) : a.numel() / k;
  Shape out_shape = a.shape();
  out_shape.back() = n;
  Tensor out = Tensor::empty(out_shape);
  for (int64_t i = 0; i < batches; ++i)
    gemm_forward(a.data() + i * m * k, b.data() + i * k * n * batched_b, out.data() + i * m * n, m, k, n);
  record(out, "matmul", {a, b}, [a, b, batches, m, k, n, batched_b](const Tensor&, const Tensor& dout) {
    const GradSink none{nullptr, false};
    const GradSink da = a.requires_grad() ? grad_sink(a) : none;
    const GradSink db = b.requires_grad() ? grad_sink(b) : none;
    for (int64_t i = 0; i < batches; ++i) {
      const int64_t ob = i * k * n * batched_b;
      gemm_backward(a.data() + i * m * k, b.data() + ob, dout.data() + i * m * n,
                    {da.data ? da.data + i * m * k : nullptr, da.fresh}, {db.data ? db.data + ob : nullptr, db.fresh},
                    m, k, n);
    }
  });
  return out;
}

// [linear]
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  // x: (..., in)  weight: (out, in)  bias: (out)  ->  (..., out)
  if (weight.dim() != 2) throw ShapeError("linear: weight must be (out_features, in_features), got " + to_string(weight.shape()));
  const int64_t in = weight.size(1), out_features = weight.size(0);
  if (x.dim() == 0 || x.size(-1) != in)
    throw ShapeError("linear: input last dim must equal in_features (expected " + std::to_string(in) + ", got " +
                     (x.dim() ? std::to_string(x.size(-1)) : std::string("a 0-d tensor")) + " in input " +
                     to_string(x.shape()) + ")" +
                     (x.dim() > 2 ? "; did you forget flatten()?"
                                  : "; in_features must equal the size the layer before produces"));
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != out_features))
    throw ShapeError("linear: bias must be (" + std::to_string(out_features) + "), got " + to_string(bias.shape()));
  const int64_t rows = x.numel() / in;
  Shape out_shape = x.shape();
  out_shape.back() = out_features;
  Tensor out = Tensor::empty(out_shape);
  MatMap y = as_matrix(out, rows, out_features);
  gemm(out.data(), as_matrix(x, rows, in), as_matrix(weight, out_features, in).transpose());
  if (bias.defined()) y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), out_features);
  record(out, "linear", {x, weight, bias}, [x, weight, bias, rows, in, out_features](const Tensor&, const Tensor& dout) {
    ConstMatMap g(dout.data(), rows, out_features);
    // y = x W^T + b  =>  dx += dy W,  dW += dy^T x,  db += sum over rows of dy
    if (x.requires_grad()) {
      const GradSink dx = grad_sink(x);
      write_grad(dx, g, as_matrix(weight, out_features, in));
    }
    if (weight.requires_grad()) {
      const GradSink dw = grad_sink(weight);
      write_grad(dw, g.transpose(), as_matrix(x, rows, in));
    }
    if (bias.defined() && bias.requires_grad()) {
      write_column_sums(grad_sink(bias), g);
    }
  });
  return out;
}
// [linear]

}  // namespace dl
