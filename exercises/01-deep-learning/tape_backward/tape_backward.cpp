// Exercise tape_backward (chapter 01): fix the bug in a scalar tape's backward pass.
// This code has one bug; find and fix it. It compiles and runs, and gives the right
// gradients on some graphs but not on all. What it must do is in README.md, next to
// this file (and above its declaration in exercises.hpp); then run
// `./book grade tape_backward`.
#include <stdexcept>
#include <string>

#include "exercises.hpp"

namespace ex {

namespace {

// Hands the gradient `g` that a node sends back to its operand `i`.
void send(std::vector<double>& grad, int i, double g) { grad[static_cast<size_t>(i)] = g; }

}  // namespace

std::vector<double> tape_backward(const std::vector<ScalarNode>& tape) {
  if (tape.empty()) throw std::invalid_argument("tape_backward: the tape is empty");
  for (size_t i = 0; i < tape.size(); ++i) {
    const ScalarNode& n = tape[i];
    if (n.op == 0) continue;
    if (n.op != '+' && n.op != '*')
      throw std::invalid_argument("tape_backward: node " + std::to_string(i) + " has an unknown op '" +
                                  std::string(1, n.op) + "'");
    const int at = static_cast<int>(i);
    if (n.a < 0 || n.a >= at || n.b < 0 || n.b >= at)
      throw std::invalid_argument("tape_backward: node " + std::to_string(i) + " uses nodes " +
                                  std::to_string(n.a) + " and " + std::to_string(n.b) +
                                  ", but may only use nodes before it");
  }

  std::vector<double> grad(tape.size(), 0.0);
  grad.back() = 1.0;  // d(out)/d(out)
  // Walk the tape backwards: when node i is reached, every node that uses it has
  // already sent its gradient back, so grad[i] is complete.
  for (size_t i = tape.size(); i-- > 0;) {
    const ScalarNode& n = tape[i];
    const double g = grad[i];
    if (n.op == '+') {
      // value = a + b  =>  da = g, db = g
      send(grad, n.a, g);
      send(grad, n.b, g);
    } else if (n.op == '*') {
      // value = a * b  =>  da = b g, db = a g
      const double a = tape[static_cast<size_t>(n.a)].value, b = tape[static_cast<size_t>(n.b)].value;
      send(grad, n.a, b * g);
      send(grad, n.b, a * g);
    }
  }
  return grad;
}

}  // namespace ex
