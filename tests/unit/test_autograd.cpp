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

namespace {
// Lines of a DOT text that contain `needle`.
int count_lines(const std::string& dot, const std::string& needle) {
  int n = 0;
  for (size_t at = 0, end; at < dot.size(); at = end + 1) {
    end = dot.find('\n', at);
    if (end == std::string::npos) end = dot.size();
    if (dot.substr(at, end - at).find(needle) != std::string::npos) ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("autograd: to_dot draws the tape, one arrow per use, leaves named", "[autograd]") {
  // Chapter 01's worked example: y = (a*b + b)^2 at a = 3, b = 2.
  Tensor a = Tensor::scalar(3.0f).requires_grad_();
  Tensor b = Tensor::scalar(2.0f).requires_grad_();
  Tensor y = dl::pow(a * b + b, 2.0f);
  const std::string dot = dl::to_dot(y, {{"a", a}, {"b", b}});
  CAPTURE(dot);
  CHECK(dot.rfind("digraph autograd {", 0) == 0);
  // Breadth first from the root: pow, add, then add's inputs mul and b, then mul's a.
  CHECK(count_lines(dot, "n0 [label=\"pow = 64\"") == 1);
  CHECK(count_lines(dot, "n1 [label=\"add = 8\"") == 1);
  CHECK(count_lines(dot, "n2 [label=\"mul = 6\"") == 1);
  CHECK(count_lines(dot, "n3 [label=\"b = 2\", shape=ellipse") == 1);
  CHECK(count_lines(dot, "n4 [label=\"a = 3\", shape=ellipse") == 1);
  CHECK(count_lines(dot, " -> ") == 5);  // mul->add, b->add, add->pow, a->mul, b->mul
  CHECK(count_lines(dot, "n3 -> ") == 2);  // b is used twice: its gradients add
  CHECK(count_lines(dot, "n1 -> n0;") == 1);
  CHECK(dl::to_dot(y, {{"a", a}, {"b", b}}) == dot);  // the same graph, the same text

  // x * x: two arrows from x into the same mul; a tensor label shows its shape.
  Tensor x = Tensor::from_data({2, 3}, {1, 2, 3, 4, 5, 6}).requires_grad_();
  const std::string square = dl::to_dot(x * x);
  CHECK(count_lines(square, "n1 -> n0;") == 2);
  CHECK(count_lines(square, "label=\"mul\\n[2,3]\"") == 1);
  CHECK(count_lines(square, "label=\"leaf\\n[2,3]\"") == 1);

  // Data that does not require grad is not on the tape; names with quotes are escaped.
  Tensor data = Tensor::from_data({2, 3}, {1, 1, 1, 1, 1, 1});
  const std::string masked = dl::to_dot(dl::sum(x * data), {{"say \"w\"", x}});
  CAPTURE(masked);
  CHECK(count_lines(masked, "shape=ellipse") == 1);  // x only
  CHECK(count_lines(masked, "label=\"say \\\"w\\\"\\n[2,3]\"") == 1);
  CHECK(count_lines(masked, " -> ") == 3);  // x -> mul -> reshape -> sum
}

TEST_CASE("autograd: to_dot refuses a tensor without a graph", "[autograd]") {
  Tensor w = Tensor::scalar(2.0f).requires_grad_();
  CHECK_THROWS_WITH(dl::to_dot(w), Catch::Contains("has no graph"));  // a leaf
  CHECK_THROWS_WITH(dl::to_dot(Tensor::scalar(1.0f) * 2.0f), Catch::Contains("has no graph"));
  {
    dl::no_grad guard;
    CHECK_THROWS_WITH(dl::to_dot(w * w), Catch::Contains("no_grad"));
  }
  Tensor y = w * w;
  y.backward();
  CHECK_THROWS_WITH(dl::to_dot(y), Catch::Contains("freed by backward()") && Catch::Contains("'mul'"));
  CHECK_THROWS_WITH(dl::to_dot(Tensor()), Catch::Contains("has no graph"));
}
