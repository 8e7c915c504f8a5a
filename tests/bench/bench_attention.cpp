// The Transformer's two fused ops, forward and backward, at the size of issue 16's
// rows (the shapes compare_torch.py gives PyTorch):
//   attention_fwd_bwd:  scaled_dot_product_attention on q, k, v of (B 32, H 4, T 128, D 32),
//                       that is a model width of 128 split into 4 heads of 32, no mask;
//   layer_norm_fwd_bwd: layer_norm over the 128 features of (32, 128, 128).
#include <benchmark/benchmark.h>

#include <dl/attention.hpp>
#include <dl/ops.hpp>

namespace {

void BM_AttentionForwardBackward(benchmark::State& state) {
  const int64_t batch = state.range(0), heads = state.range(1), steps = state.range(2), head_dim = state.range(3);
  dl::Generator gen(5);
  const dl::Shape shape{batch, heads, steps, head_dim};
  dl::Tensor q = dl::Tensor::randn(shape, gen).requires_grad_();
  dl::Tensor k = dl::Tensor::randn(shape, gen).requires_grad_();
  dl::Tensor v = dl::Tensor::randn(shape, gen).requires_grad_();
  const dl::Tensor upstream = dl::Tensor::randn(shape, gen);
  for (auto _ : state) {
    q.zero_grad();
    k.zero_grad();
    v.zero_grad();
    dl::scaled_dot_product_attention(q, k, v).backward(upstream);
    benchmark::DoNotOptimize(q.grad().data());
  }
}

void BM_LayerNormForwardBackward(benchmark::State& state) {
  const int64_t batch = state.range(0), steps = state.range(1), width = state.range(2);
  dl::Generator gen(6);
  dl::Tensor x = dl::Tensor::randn({batch, steps, width}, gen).requires_grad_();
  dl::Tensor w = dl::Tensor::randn({width}, gen).requires_grad_();
  dl::Tensor b = dl::Tensor::randn({width}, gen).requires_grad_();
  const dl::Tensor upstream = dl::Tensor::randn({batch, steps, width}, gen);
  for (auto _ : state) {
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
    dl::layer_norm(x, w, b, 1e-5f).backward(upstream);
    benchmark::DoNotOptimize(x.grad().data());
  }
}

}  // namespace

BENCHMARK(BM_AttentionForwardBackward)->Args({32, 4, 128, 32})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LayerNormForwardBackward)->Args({32, 128, 128})->Unit(benchmark::kMillisecond)->UseRealTime();
