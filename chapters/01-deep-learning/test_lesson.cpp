// The worked examples of chapter 01's lesson (lesson.md pulls each one in between
// its markers), each checked against gradients derived by hand.
#include <catch2/catch.hpp>
#include <dl/autograd.hpp>
#include <dl/nn.hpp>
#include <dl/ops.hpp>
#include <vector>

TEST_CASE("lesson: autograd on scalars reproduces the hand-derived chain rule", "[chapter][lesson]") {
  // [scalar-autograd]
  // y = (a*b + b)^2 at a = 3, b = 2. By hand, with u = a*b + b = 8:
  //   dy/da = 2u * b        = 2*8*2 = 32
  //   dy/db = 2u * (a + 1)  = 2*8*4 = 64   (b reaches u along two paths; they add)
  dl::Tensor a = dl::Tensor::scalar(3.0f);
  dl::Tensor b = dl::Tensor::scalar(2.0f);
  a.requires_grad_();
  b.requires_grad_();

  const dl::Tensor ab = a * b;         // tape: mul(a, b)
  const dl::Tensor u = ab + b;         // tape: add(ab, b)
  const dl::Tensor y = dl::pow(u, 2);  // tape: pow(u)
  CHECK(y.item() == 64.0f);
  CHECK(y.op_name() == "pow");
  CHECK(u.op_name() == "add");
  CHECK(a.is_leaf());

  y.backward();  // seed dy/dy = 1, then run pow, add, mul backwards
  CHECK(a.grad().item() == 32.0f);
  CHECK(b.grad().item() == 64.0f);
  // [scalar-autograd]
}

TEST_CASE("lesson: a second backward adds to the gradient until it is zeroed", "[chapter][lesson]") {
  // [accumulate]
  dl::Tensor w = dl::Tensor::scalar(3.0f);
  w.requires_grad_();
  (w * w).backward();  // d(w^2)/dw = 2w = 6
  CHECK(w.grad().item() == 6.0f);
  (w * w).backward();  // a new graph, but the same leaf: 6 + 6
  CHECK(w.grad().item() == 12.0f);
  w.zero_grad();  // what optimizer.zero_grad() does for every parameter
  (w * w).backward();
  CHECK(w.grad().item() == 6.0f);
  // [accumulate]
}

TEST_CASE("lesson: linear + cross-entropy gradient is (softmax - onehot) / B", "[chapter][lesson]") {
  // [tensor-autograd]
  // A batch of B = 2 examples with 3 features; a layer with C = 4 outputs.
  constexpr int64_t B = 2, in = 3, C = 4;
  const dl::Tensor x = dl::Tensor::from_data({B, in}, {1.0f, 2.0f, 0.0f,     // example 0
                                                       0.0f, -1.0f, 3.0f});  // example 1
  dl::Tensor W = dl::Tensor::from_data({C, in}, {0.1f, -0.2f, 0.3f,          // output 0
                                                 0.0f, 0.5f, -0.1f,          // output 1
                                                 -0.3f, 0.2f, 0.2f,          // output 2
                                                 0.4f, 0.1f, -0.5f});        // output 3; W is (out, in)
  dl::Tensor bias = dl::Tensor::from_data({C}, {0.0f, 0.1f, -0.1f, 0.2f});
  W.requires_grad_();
  bias.requires_grad_();
  const std::vector<int> targets = {2, 0};  // the true class of each example

  const dl::Tensor logits = dl::linear(x, W, bias);            // (B,C) = x W^T + b
  const dl::Tensor loss = dl::cross_entropy(logits, targets);  // mean over the batch
  loss.backward();

  // By hand: G = dloss/dlogits = (softmax(logits) - onehot(targets)) / B, then
  // the chain rule through y = x W^T + b gives dW = G^T x and db = sum over rows of G.
  const dl::Tensor p = dl::softmax(logits.detach());  // (B,C) class probabilities
  auto G = [&](int64_t n, int64_t c) {
    const float onehot = c == targets[static_cast<size_t>(n)] ? 1.0f : 0.0f;
    return (p.at(n * C + c) - onehot) / static_cast<float>(B);
  };
  for (int64_t c = 0; c < C; ++c) {
    CHECK(bias.grad().at(c) == Approx(G(0, c) + G(1, c)).margin(1e-6));
    for (int64_t i = 0; i < in; ++i)
      CHECK(W.grad().at(c * in + i) == Approx(G(0, c) * x.at(i) + G(1, c) * x.at(in + i)).margin(1e-6));
  }
  // [tensor-autograd]

  // The same G appears directly when the logits themselves are the leaf.
  dl::Tensor z = logits.detach().clone();
  z.requires_grad_();
  dl::cross_entropy(z, targets).backward();
  for (int64_t n = 0; n < B; ++n)
    for (int64_t c = 0; c < C; ++c) CHECK(z.grad().at(n * C + c) == Approx(G(n, c)).margin(1e-6));
}

TEST_CASE("lesson: ReLU's derivative at 0 is taken as 0", "[chapter][lesson]") {
  dl::Tensor z = dl::Tensor::from_data({3}, {-1.0f, 0.0f, 2.0f});
  z.requires_grad_();
  dl::sum(dl::relu(z)).backward();
  CHECK(z.grad().to_vector() == std::vector<float>{0.0f, 0.0f, 1.0f});
}

TEST_CASE("lesson: with the default initialisation a linear layer and ReLU scale the mean square by about 1/6",
          "[chapter][lesson]") {
  // Weights U(+-1/sqrt(in)) have variance 1/(3 in): a linear layer divides the mean
  // square by about 3, the ReLU halves it. The gradient shrinks the same way going back.
  const auto mean_square = [](const dl::Tensor& t) {
    double sq = 0;
    for (float v : t.to_vector()) sq += static_cast<double>(v) * v;
    return sq / static_cast<double>(t.numel());
  };
  constexpr int64_t B = 256, width = 512;
  dl::Generator gen(11);
  dl::nn::Linear fc1(width, width, false, gen), fc2(width, width, false, gen);
  dl::Tensor x = dl::Tensor::randn({B, width}, gen);
  x.requires_grad_();
  const dl::Tensor h1 = dl::relu(fc1(x)), h2 = dl::relu(fc2(h1));
  CHECK(mean_square(h1) / mean_square(x) == Approx(1.0 / 6).epsilon(0.15));
  CHECK(mean_square(h2) / mean_square(h1) == Approx(1.0 / 6).epsilon(0.15));
  const dl::Tensor upstream = dl::Tensor::randn({B, width}, gen);
  dl::sum(h2 * upstream).backward();
  CHECK(mean_square(x.grad()) / mean_square(upstream) == Approx(1.0 / 36).epsilon(0.25));
}
