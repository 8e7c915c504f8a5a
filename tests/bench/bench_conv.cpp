// conv2d at chapter 02's two layer shapes (batch 64), forward and forward+backward,
// against a plain Eigen GEMM of the same FLOP count; and one training step of the CNN.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_support.hpp"
#include "cnn.hpp"
#include "dl/conv.hpp"
#include "dl/eigen.hpp"

namespace {

struct Layer {
  int64_t channels, out_channels, side;
};
// conv1: (64,1,28,28) -> (64,32,28,28);  conv2: (64,32,14,14) -> (64,64,14,14); kernel 3, padding 1.
constexpr Layer kLayers[] = {{1, 32, 28}, {32, 64, 14}};
constexpr int64_t kBatch = 64;

double conv_flops(const Layer& l) { return 2.0 * kBatch * l.side * l.side * l.out_channels * l.channels * 9; }

// "conv1 forward, (64,1,28,28) → (64,32,28,28)": the label chapter 02's table shows
// (./book bench writes it into build/results/bench/bench_conv.json).
std::string label(int64_t layer, const char* what) {
  const Layer& l = kLayers[layer];
  const auto shape = [&](int64_t c, int64_t side) {
    return "(" + std::to_string(kBatch) + "," + std::to_string(c) + "," + std::to_string(side) + "," +
           std::to_string(side) + ")";
  };
  return "conv" + std::to_string(layer + 1) + " " + what + ", " + shape(l.channels, l.side) + " → " +
         shape(l.out_channels, l.side);
}

void BM_Conv2dForward(benchmark::State& state) {
  const Layer l = kLayers[state.range(0)];
  const dl::Tensor x = dl::Tensor::randn({kBatch, l.channels, l.side, l.side});
  const dl::Tensor w = dl::Tensor::randn({l.out_channels, l.channels, 3, 3}), b = dl::Tensor::randn({l.out_channels});
  for (auto _ : state) benchmark::DoNotOptimize(dl::conv2d(x, w, b, {.padding = 1}).data());
  state.counters["flops"] = benchmark::Counter(conv_flops(l), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(label(state.range(0), "forward"));
}

void BM_Conv2dForwardBackward(benchmark::State& state) {
  const Layer l = kLayers[state.range(0)];
  dl::Tensor x = dl::Tensor::randn({kBatch, l.channels, l.side, l.side}).requires_grad_();
  dl::Tensor w = dl::Tensor::randn({l.out_channels, l.channels, 3, 3}).requires_grad_();
  dl::Tensor b = dl::Tensor::randn({l.out_channels}).requires_grad_();
  const dl::Tensor dy = dl::Tensor::randn({kBatch, l.out_channels, l.side, l.side});
  for (auto _ : state) {
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
    dl::conv2d(x, w, b, {.padding = 1}).backward(dy);
    benchmark::DoNotOptimize(w.grad().data());
  }
  // Forward, weight gradient and input gradient: three GEMMs of the same size.
  state.counters["flops"] = benchmark::Counter(3 * conv_flops(l), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(label(state.range(0), "forward + backward"));
}

// The rate this machine's Eigen reaches on one GEMM with a layer's shapes over the
// whole batch: (O x K) x (K x B*P), with K = C*9 and P = side^2. Arg 0: conv1, 1: conv2.
void BM_EigenGemmLayerSize(benchmark::State& state) {
  const Layer l = kLayers[state.range(0)];
  const int64_t k = l.channels * 9, n = kBatch * l.side * l.side;
  const dl::MatrixRM a = dl::MatrixRM::Random(l.out_channels, k), b = dl::MatrixRM::Random(k, n);
  dl::MatrixRM c(l.out_channels, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["flops"] = benchmark::Counter(conv_flops(l), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel("one Eigen GEMM of conv" + std::to_string(state.range(0) + 1) + "'s shapes, (" +
                 std::to_string(l.out_channels) + "×" + std::to_string(k) + ")·(" + std::to_string(k) + "×" +
                 std::to_string(n) + ")");
}

void BM_CnnTrainStep(benchmark::State& state) {
  dl::manual_seed(0);
  ch02::CNN model;
  bench::train_step(state, model, kBatch, 784);
  state.SetLabel("CNN training step, " + std::to_string(kBatch) + " images");
}

}  // namespace

BENCHMARK(BM_Conv2dForward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2dForwardBackward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EigenGemmLayerSize)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CnnTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();
