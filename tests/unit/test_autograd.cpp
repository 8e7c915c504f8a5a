// The tape: recording, accumulation, no_grad, and freeing the graph.
#include <catch2/catch.hpp>

#include "dl/autograd.hpp"
#include "dl/ops.hpp"

using dl::Tensor;

TEST_CASE("autograd: scalar chain rule by hand", "[autograd]") {
  // y = (a*b + b)^2 at a=2, b=3: y = 81, dy/da = 2*9*b = 54, dy/db = 2*9*(a+1) = 54
  Tensor a = Tensor::scalar(2.0f).requires_grad_();
  Tensor b = Tensor::scalar(3.0f).requires_grad_();
  Tensor y = dl::pow(a * b + b, 2.0f);
  CHECK(y.item() == 81.0f);
  y.backward();
  CHECK(a.grad().item() == 54.0f);
  CHECK(b.grad().item() == 54.0f);
}

TEST_CASE("autograd: gradients accumulate across backward calls until zero_grad", "[autograd]") {
  Tensor w = Tensor::from_data({2}, {1, 2}).requires_grad_();
  dl::sum(w * 3.0f).backward();
  dl::sum(w * 3.0f).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{6, 6});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
  dl::sum(w * w).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{2, 4});
}

TEST_CASE("autograd: no_grad records nothing and nests", "[autograd]") {
  Tensor w = Tensor::ones({3}).requires_grad_();
  {
    dl::no_grad outer;
    {
      dl::no_grad inner;
    }
    CHECK_FALSE(dl::grad_enabled());
    Tensor y = w * 2.0f;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK(dl::grad_enabled());
  CHECK((w * 2.0f).requires_grad());
}

TEST_CASE("autograd: only leaves keep gradients, intermediate ones are freed", "[autograd]") {
  Tensor x = Tensor::ones({2, 2}).requires_grad_();
  Tensor h = dl::relu(x * 2.0f);
  Tensor loss = dl::sum(h);
  CHECK_FALSE(h.is_leaf());
  CHECK(h.op_name() == "relu");
  loss.backward();
  CHECK(x.grad().defined());
  CHECK_FALSE(h.grad().defined());
}

TEST_CASE("autograd: a second backward through a freed graph is an error", "[autograd][errors]") {
  Tensor x = Tensor::ones({2}).requires_grad_();
  Tensor loss = dl::sum(dl::exp(x));
  loss.backward();
  CHECK_THROWS_WITH(loss.backward(), Catch::Contains("already freed"));
}

TEST_CASE("autograd: backward needs a scalar or an explicit gradient", "[autograd][errors]") {
  Tensor x = Tensor::ones({3}).requires_grad_();
  Tensor y = x * 2.0f;
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("sum() or mean()"));
  CHECK_THROWS_AS(y.backward(Tensor::ones({2})), dl::ShapeError);
  y.backward(Tensor::from_data({3}, {1, 2, 3}));
  CHECK(x.grad().to_vector() == std::vector<float>{2, 4, 6});
  CHECK_THROWS_AS(Tensor::ones({1}).backward(), dl::Error);
  CHECK_THROWS_AS((x * 2.0f).requires_grad_(), dl::Error);
}

TEST_CASE("autograd: a node is freed when nothing references it", "[autograd]") {
  Tensor x = Tensor::ones({4}).requires_grad_();
  std::weak_ptr<dl::TensorImpl> node;
  {
    Tensor y = dl::exp(x);
    node = y.impl();
    Tensor z = dl::sum(y);  // z keeps y alive through the graph
    y = Tensor();
    CHECK_FALSE(node.expired());
  }
  CHECK(node.expired());
}

TEST_CASE("autograd: a deep graph backpropagates without overflowing the stack", "[autograd]") {
  Tensor x = Tensor::scalar(1.0f).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0f;
  y.backward();
  CHECK(x.grad().item() == 1.0f);
}

TEST_CASE("autograd: dropping a deep graph without backward does not overflow the stack", "[autograd]") {
  Tensor x = Tensor::scalar(1.0f).requires_grad_();
  {
    Tensor y = x;
    for (int i = 0; i < 1000000; ++i) y = y + 1.0f;
    CHECK(y.item() == 1000001.0f);
  }
  CHECK(x.is_leaf());
}

TEST_CASE("check_finite: names the step and the kind of value", "[autograd][errors]") {
  CHECK_NOTHROW(dl::check_finite(Tensor::scalar(1.0f), 1));
  CHECK_THROWS_WITH(dl::check_finite(Tensor::scalar(NAN), 17), Catch::Contains("NaN") && Catch::Contains("step 17"));
  CHECK_THROWS_AS(dl::check_finite(Tensor::scalar(INFINITY), 3), dl::NonFiniteError);
}
