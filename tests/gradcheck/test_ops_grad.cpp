// Every differentiable op's backward against central finite differences,
// on random shapes, including broadcasting.
#include <catch2/catch.hpp>

#include "gradcheck_helpers.hpp"

using dl::Shape;
using dl::Tensor;
using test::param;
using test::require_gradcheck;

namespace {
// Shape pairs that broadcast: equal, scalar, row vector, column, missing leading dims.
const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{3, 4}, {3, 4}}, {{3, 4}, {}},        {{3, 4}, {4}},       {{3, 1}, {1, 4}},
    {{2, 3, 4}, {3, 1}}, {{1, 3, 1}, {2, 1, 5}}, {{5}, {2, 5}},
};
}  // namespace

TEST_CASE("add: backward matches finite differences, with broadcasting", "[ops][grad]") {
  dl::Generator gen(1);
  for (const auto& [sa, sb] : kBroadcastPairs) {
    INFO(dl::to_string(sa) << " + " << dl::to_string(sb));
    require_gradcheck([](const auto& x) { return x[0] + x[1]; }, {param(sa, gen), param(sb, gen)});
  }
}

TEST_CASE("sub: backward matches finite differences, with broadcasting", "[ops][grad]") {
  dl::Generator gen(2);
  for (const auto& [sa, sb] : kBroadcastPairs) {
    INFO(dl::to_string(sa) << " - " << dl::to_string(sb));
    require_gradcheck([](const auto& x) { return x[0] - x[1]; }, {param(sa, gen), param(sb, gen)});
  }
}

TEST_CASE("mul: backward matches finite differences, with broadcasting", "[ops][grad]") {
  dl::Generator gen(3);
  for (const auto& [sa, sb] : kBroadcastPairs) {
    INFO(dl::to_string(sa) << " * " << dl::to_string(sb));
    require_gradcheck([](const auto& x) { return x[0] * x[1]; }, {param(sa, gen), param(sb, gen)});
  }
}

TEST_CASE("div: backward matches finite differences, with broadcasting", "[ops][grad]") {
  dl::Generator gen(4);
  for (const auto& [sa, sb] : kBroadcastPairs) {
    INFO(dl::to_string(sa) << " / " << dl::to_string(sb));
    require_gradcheck([](const auto& x) { return x[0] / x[1]; },
                      {param(sa, gen), test::param_uniform(sb, 0.5f, 2.0f, gen)});
  }
}

TEST_CASE("scalar operators: backward matches finite differences", "[ops][grad]") {
  dl::Generator gen(5);
  require_gradcheck([](const auto& x) { return (2.0f * x[0] + 1.0f) / 3.0f - x[0] * 0.5f; }, {param({4, 3}, gen)});
  require_gradcheck([](const auto& x) { return 1.0f / x[0] + (1.0f - x[0]); },
                    {test::param_uniform({5}, 0.5f, 2.0f, gen)});
}

TEST_CASE("input used twice: gradients accumulate", "[ops][grad]") {
  dl::Generator gen(6);
  require_gradcheck([](const auto& x) { return x[0] * x[0] + x[0]; }, {param({3, 3}, gen)});
}

TEST_CASE("unary math: neg, exp, log, sqrt, pow match finite differences", "[ops][grad]") {
  dl::Generator gen(7);
  for (const Shape& s : {Shape{7}, Shape{3, 5}, Shape{2, 3, 4}}) {
    INFO(dl::to_string(s));
    require_gradcheck([](const auto& x) { return dl::neg(x[0]); }, {param(s, gen)});
    require_gradcheck([](const auto& x) { return dl::exp(x[0]); }, {test::param_uniform(s, -2.0f, 2.0f, gen)});
    require_gradcheck([](const auto& x) { return dl::log(x[0]); }, {test::param_uniform(s, 0.5f, 3.0f, gen)});
    require_gradcheck([](const auto& x) { return dl::sqrt(x[0]); }, {test::param_uniform(s, 0.5f, 3.0f, gen)});
    require_gradcheck([](const auto& x) { return dl::pow(x[0], 3.0f); }, {test::param_uniform(s, -1.5f, 1.5f, gen)});
    require_gradcheck([](const auto& x) { return dl::pow(x[0], -0.5f); }, {test::param_uniform(s, 0.5f, 3.0f, gen)});
  }
}

TEST_CASE("activations: relu, leaky_relu, tanh, sigmoid, gelu match finite differences", "[ops][grad]") {
  dl::Generator gen(8);
  for (const Shape& s : {Shape{9}, Shape{4, 6}, Shape{2, 3, 5}}) {
    INFO(dl::to_string(s));
    // Kinks at 0 are skipped by keeping inputs at least 0.05 away from them.
    require_gradcheck([](const auto& x) { return dl::relu(x[0]); }, {test::param_away_from_zero(s, 0.05f, gen)});
    require_gradcheck([](const auto& x) { return dl::leaky_relu(x[0], 0.1f); },
                      {test::param_away_from_zero(s, 0.05f, gen)});
    require_gradcheck([](const auto& x) { return dl::tanh(x[0]); }, {param(s, gen)});
    require_gradcheck([](const auto& x) { return dl::sigmoid(x[0]); }, {param(s, gen)});
    require_gradcheck([](const auto& x) { return dl::gelu(x[0]); }, {param(s, gen)});
  }
}

TEST_CASE("softmax and log_softmax: backward matches finite differences along every dim", "[ops][grad]") {
  dl::Generator gen(9);
  const Shape s{2, 3, 4};
  for (int64_t dim : {0, 1, 2, -1}) {
    INFO("dim " << dim);
    require_gradcheck([dim](const auto& x) { return dl::softmax(x[0], dim); }, {param(s, gen)});
    require_gradcheck([dim](const auto& x) { return dl::log_softmax(x[0], dim); }, {param(s, gen)});
  }
}

TEST_CASE("reductions: sum and mean, whole and per dim, match finite differences", "[ops][grad]") {
  dl::Generator gen(10);
  const Shape s{3, 4, 2};
  require_gradcheck([](const auto& x) { return dl::sum(x[0]); }, {param(s, gen)});
  require_gradcheck([](const auto& x) { return dl::mean(x[0]); }, {param(s, gen)});
  for (int64_t dim : {0, 1, 2, -2})
    for (bool keep : {false, true}) {
      INFO("dim " << dim << " keepdim " << keep);
      require_gradcheck([dim, keep](const auto& x) { return dl::sum(x[0], dim, keep); }, {param(s, gen)});
      require_gradcheck([dim, keep](const auto& x) { return dl::mean(x[0], dim, keep); }, {param(s, gen)});
    }
}

TEST_CASE("max: gradient goes to the arg-max, whole and per dim", "[ops][grad]") {
  dl::Generator gen(11);
  const Shape s{3, 5, 2};
  require_gradcheck([](const auto& x) { return dl::max(x[0]); }, {test::param_distinct(s, 0.1f, gen)});
  for (int64_t dim : {0, 1, 2})
    for (bool keep : {false, true}) {
      INFO("dim " << dim << " keepdim " << keep);
      require_gradcheck([dim, keep](const auto& x) { return dl::max(x[0], dim, keep); },
                        {test::param_distinct(s, 0.1f, gen)});
    }
}

TEST_CASE("matmul: 2-D, batched 3-D and 3-D x 2-D match finite differences", "[ops][grad]") {
  dl::Generator gen(12);
  require_gradcheck([](const auto& x) { return dl::matmul(x[0], x[1]); }, {param({3, 5}, gen), param({5, 4}, gen)});
  require_gradcheck([](const auto& x) { return dl::matmul(x[0], x[1]); }, {param({1, 7}, gen), param({7, 1}, gen)});
  require_gradcheck([](const auto& x) { return dl::matmul(x[0], x[1]); },
                    {param({2, 3, 4}, gen), param({2, 4, 5}, gen)});
  require_gradcheck([](const auto& x) { return dl::matmul(x[0], x[1]); }, {param({2, 3, 4}, gen), param({4, 6}, gen)});
}

TEST_CASE("linear: backward matches finite differences, with and without bias", "[ops][grad]") {
  dl::Generator gen(13);
  require_gradcheck([](const auto& x) { return dl::linear(x[0], x[1], x[2]); },
                    {param({4, 6}, gen), param({3, 6}, gen), param({3}, gen)});
  require_gradcheck([](const auto& x) { return dl::linear(x[0], x[1], Tensor()); },
                    {param({2, 3, 5}, gen), param({4, 5}, gen)});
}

TEST_CASE("shape ops: reshape, flatten, permute, transpose match finite differences", "[ops][grad]") {
  dl::Generator gen(14);
  require_gradcheck([](const auto& x) { return dl::reshape(x[0], {4, -1}) * x[1]; },
                    {param({2, 3, 4}, gen), param({4, 6}, gen)});
  require_gradcheck([](const auto& x) { return dl::flatten(x[0]); }, {param({2, 3, 2}, gen)});
  require_gradcheck([](const auto& x) { return dl::permute(x[0], {2, 0, 1}); }, {param({2, 3, 4}, gen)});
  require_gradcheck([](const auto& x) { return dl::transpose(x[0], 0, -1); }, {param({3, 2, 5}, gen)});
}

TEST_CASE("slice and concat: backward matches finite differences", "[ops][grad]") {
  dl::Generator gen(15);
  for (int64_t dim : {0, 1, 2}) {
    INFO("dim " << dim);
    require_gradcheck([dim](const auto& x) { return dl::slice(x[0], dim, 1, -1); }, {param({4, 5, 3}, gen)});
    Shape a{2, 3, 4}, b{2, 3, 4};
    a[static_cast<size_t>(dim)] = 1;
    b[static_cast<size_t>(dim)] = 2;
    require_gradcheck([dim](const auto& x) { return dl::concat({x[0], x[1], x[0]}, dim); },
                      {param(a, gen), param(b, gen)});
  }
}

TEST_CASE("cross_entropy: backward matches finite differences, with label smoothing", "[ops][grad][loss]") {
  dl::Generator gen(16);
  const std::vector<int> targets{0, 3, 2, 3, 1};
  for (float smoothing : {0.0f, 0.1f, 0.5f}) {
    INFO("label_smoothing " << smoothing);
    require_gradcheck([&](const auto& x) { return dl::cross_entropy(x[0], targets, smoothing); },
                      {param({5, 4}, gen)});
  }
}

TEST_CASE("nll_loss and mse_loss: backward matches finite differences", "[ops][grad][loss]") {
  dl::Generator gen(17);
  const std::vector<int> targets{2, 0, 1};
  require_gradcheck([&](const auto& x) { return dl::nll_loss(dl::log_softmax(x[0]), targets); }, {param({3, 3}, gen)});
  require_gradcheck([](const auto& x) { return dl::mse_loss(x[0], x[1]); }, {param({4, 3}, gen), param({4, 3}, gen)});
}

TEST_CASE("dropout: backward matches finite differences for a fixed mask", "[ops][grad]") {
  // Re-seeding inside f makes every evaluation draw the same mask.
  require_gradcheck(
      [](const auto& x) {
        dl::Generator mask_gen(99);
        return dl::dropout(x[0], 0.3f, true, mask_gen);
      },
      {param({6, 5}, *std::make_unique<dl::Generator>(18))});
}

TEST_CASE("gradcheck: catches a wrong backward", "[grad]") {
  // A deliberately broken op: forward is x^2, backward claims 3x.
  auto broken_square = [](const std::vector<Tensor>& x) {
    Tensor out = dl::Tensor::empty(x[0].shape());
    for (int64_t i = 0; i < out.numel(); ++i) out.data()[i] = x[0].data()[i] * x[0].data()[i];
    dl::record(out, "broken_square", {x[0]}, [a = x[0]](const Tensor&, const Tensor& dout) {
      float* da = dl::grad_data(a);
      for (int64_t i = 0; i < a.numel(); ++i) da[i] += 3.0f * a.data()[i] * dout.data()[i];
    });
    return out;
  };
  dl::Generator gen(19);
  const dl::GradcheckResult r = dl::gradcheck(broken_square, {param({4}, gen)});
  CHECK_FALSE(r.ok);
  CHECK(r.worst.find("input 0") != std::string::npos);
}
