// Convolution, pooling and batch norm: backward against finite differences over
// random shapes and stride/padding/dilation combinations.
#include <catch2/catch.hpp>

#include "dl/conv.hpp"
#include "gradcheck_helpers.hpp"

using dl::Tensor;
using test::param;
using test::require_gradcheck;

TEST_CASE("conv2d: backward matches finite differences over strides, paddings and dilations", "[conv][grad]") {
  dl::Generator gen(21);
  struct Case {
    dl::Shape x, w;
    dl::WindowOptions o;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 3, 6, 5}, {4, 3, 3, 3}, {1, 0, 1}, true},  {{1, 2, 7, 7}, {3, 2, 3, 3}, {2, 1, 1}, true},
      {{2, 1, 8, 6}, {2, 1, 3, 2}, {1, 2, 2}, false}, {{1, 3, 5, 5}, {2, 3, 1, 1}, {1, 0, 1}, true},
      {{3, 2, 9, 7}, {2, 2, 4, 3}, {3, 1, 1}, true},  {{1, 1, 4, 4}, {1, 1, 4, 4}, {1, 0, 1}, true},
  };
  for (const Case& c : cases) {
    INFO("x " << dl::to_string(c.x) << " w " << dl::to_string(c.w) << " stride " << c.o.stride << " padding "
              << c.o.padding << " dilation " << c.o.dilation);
    const dl::WindowOptions o = c.o;
    if (c.bias)
      require_gradcheck([o](const auto& v) { return dl::conv2d(v[0], v[1], v[2], o); },
                        {param(c.x, gen), param(c.w, gen), param({c.w[0]}, gen)});
    else
      require_gradcheck([o](const auto& v) { return dl::conv2d(v[0], v[1], Tensor(), o); },
                        {param(c.x, gen), param(c.w, gen)});
  }
}

TEST_CASE("max_pool2d: gradient goes to the arg-max of each window", "[conv][grad]") {
  dl::Generator gen(22);
  // Distinct, well-spaced values keep the arg-max fixed under the finite-difference step.
  require_gradcheck([](const auto& v) { return dl::max_pool2d(v[0], 2); }, {test::param_distinct({2, 3, 6, 6}, 0.1f, gen)});
  require_gradcheck([](const auto& v) { return dl::max_pool2d(v[0], 3, 2, 1); },
                    {test::param_distinct({1, 2, 7, 5}, 0.1f, gen)});
  require_gradcheck([](const auto& v) { return dl::max_pool2d(v[0], 2, 1); }, {test::param_distinct({1, 1, 5, 4}, 0.1f, gen)});
}

TEST_CASE("avg_pool2d: backward matches finite differences, with padding", "[conv][grad]") {
  dl::Generator gen(23);
  require_gradcheck([](const auto& v) { return dl::avg_pool2d(v[0], 2); }, {param({2, 3, 6, 4}, gen)});
  require_gradcheck([](const auto& v) { return dl::avg_pool2d(v[0], 3, 2, 1); }, {param({1, 2, 7, 5}, gen)});
}

TEST_CASE("batch_norm2d: backward matches finite differences in training and evaluation", "[conv][grad]") {
  dl::Generator gen(24);
  for (bool training : {true, false}) {
    INFO("training " << training);
    Tensor running_mean = Tensor::uniform({3}, -0.5f, 0.5f, gen), running_var = Tensor::uniform({3}, 0.5f, 2.0f, gen);
    require_gradcheck(
        [&](const auto& v) {
          // Each evaluation restarts from the same running statistics.
          Tensor rm = running_mean.clone(), rv = running_var.clone();
          return dl::batch_norm2d(v[0], v[1], v[2], rm, rv, training);
        },
        {param({4, 3, 3, 2}, gen), param({3}, gen), param({3}, gen)});
  }
}
