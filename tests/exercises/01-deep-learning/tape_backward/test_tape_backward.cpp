// Tests of the exercise tape_backward (a "fix the bug" exercise); its stub and task are in
// exercises/01-deep-learning/tape_backward/.
#include <cmath>
#include <stdexcept>

#include "exercise_support.hpp"

namespace {

using Tape = std::vector<ex::ScalarNode>;

ex::ScalarNode input(double v) { return {0, -1, -1, v}; }

// Recomputes every value of the tape from its inputs, in order.
void forward(Tape& tape) {
  for (ex::ScalarNode& n : tape) {
    if (n.op == '+') n.value = tape[size_t(n.a)].value + tape[size_t(n.b)].value;
    if (n.op == '*') n.value = tape[size_t(n.a)].value * tape[size_t(n.b)].value;
  }
}

// d(last node)/d(input i) by central differences, for every input node (0 elsewhere).
std::vector<double> numeric_gradient(Tape tape) {
  std::vector<double> grad(tape.size(), 0.0);
  const double eps = 1e-5;
  for (size_t i = 0; i < tape.size(); ++i) {
    if (tape[i].op != 0) continue;
    const double saved = tape[i].value;
    tape[i].value = saved + eps;
    forward(tape);
    const double up = tape.back().value;
    tape[i].value = saved - eps;
    forward(tape);
    const double down = tape.back().value;
    tape[i].value = saved;
    grad[i] = (up - down) / (2 * eps);
  }
  forward(tape);
  return grad;
}

// Checks the gradient of every input node against finite differences.
void check_inputs(const Tape& tape, const std::vector<double>& got) {
  REQUIRE(got.size() == tape.size());
  const std::vector<double> want = numeric_gradient(tape);
  for (size_t i = 0; i < tape.size(); ++i) {
    if (tape[i].op != 0) continue;
    INFO("input node " << i << " (value " << tape[i].value << "): tape_backward gives " << got[i]
                       << ", finite differences give " << want[i]);
    CHECK(std::abs(got[i] - want[i]) <= 1e-6 * (1 + std::abs(want[i])));
  }
}

}  // namespace

TEST_CASE("tape_backward: a chain where every value is used once", "[tape_backward]") {
  // y = (a + b) * c at a = 2, b = -1, c = 4: dy/da = dy/db = c = 4, dy/dc = a + b = 1.
  Tape tape{input(2), input(-1), input(4), {'+', 0, 1, 0}, {'*', 3, 2, 0}};
  forward(tape);
  const std::vector<double> g = ex::tape_backward(tape);
  CHECK(g == std::vector<double>{4, 4, 1, 4, 1});
}

TEST_CASE("tape_backward: x * x at x = 3 has the slope 2x = 6", "[tape_backward]") {
  Tape tape{input(3), {'*', 0, 0, 0}};
  forward(tape);
  const std::vector<double> g = ex::tape_backward(tape);
  INFO("x is used twice, as both operands of one node; finite differences give d(x*x)/dx = 6 at x = 3");
  REQUIRE(g.size() == 2);
  CHECK(g[0] == Approx(6.0));
  CHECK(g[1] == 1.0);
}

TEST_CASE("tape_backward: the lesson's y = (ab + b)^2 at a = 3 and b = 2", "[tape_backward]") {
  // s = ab = 6, u = s + b = 8, y = u u = 64: dy/da = 32, dy/db = 64 (the lesson's table).
  Tape tape{input(3), input(2), {'*', 0, 1, 0}, {'+', 2, 1, 0}, {'*', 3, 3, 0}};
  forward(tape);
  const std::vector<double> g = ex::tape_backward(tape);
  INFO("b is used twice (in ab and in ab + b), u twice (in u u); the lesson's table gives "
       "dy/da = 32, dy/db = 64, dy/du = 16");
  REQUIRE(g.size() == 5);
  CHECK(g[0] == Approx(32.0));
  CHECK(g[1] == Approx(64.0));
  CHECK(g[3] == Approx(16.0));
}

TEST_CASE("tape_backward: random graphs whose nodes are reused match finite differences", "[tape_backward]") {
  dl::Generator gen(7);
  for (int trial = 0; trial < 20; ++trial) {
    Tape tape;
    const int inputs = 2 + trial % 3;
    for (int i = 0; i < inputs; ++i) tape.push_back(input(2.0 * gen.uniform() - 1.0));
    for (int i = 0; i < 6; ++i) {
      const int n = int(tape.size());
      const char op = gen.uniform() < 0.5 ? '+' : '*';
      tape.push_back({op, int(gen.uniform() * n) % n, int(gen.uniform() * n) % n, 0});
    }
    forward(tape);
    INFO("random graph " << trial << " of " << tape.size() << " nodes");
    check_inputs(tape, ex::tape_backward(tape));
  }
}

TEST_CASE("tape_backward: an input that the output does not use gets 0", "[tape_backward]") {
  Tape tape{input(5), input(2), {'+', 1, 1, 0}};
  forward(tape);
  CHECK(ex::tape_backward(tape) == std::vector<double>{0, 2, 1});
}

TEST_CASE("tape_backward: a malformed tape throws invalid_argument", "[tape_backward]") {
  CHECK_THROWS_AS(ex::tape_backward({}), std::invalid_argument);
  CHECK_THROWS_AS(ex::tape_backward({input(1), {'-', 0, 0, 0}}), std::invalid_argument);
  CHECK_THROWS_AS(ex::tape_backward({input(1), {'+', 0, 1, 0}}), std::invalid_argument);
  CHECK_THROWS_AS(ex::tape_backward({input(1), {'*', -1, 0, 0}}), std::invalid_argument);
}
