// Chapter 01: a multilayer perceptron for Fashion-MNIST.
#pragma once

#include <dl/nn.hpp>

namespace ch01 {

// [model]
/// 784 -> 256 -> 128 -> 10 with ReLU: y = W3 relu(W2 relu(W1 x + b1) + b2) + b3.
/// The output is raw scores (logits); the loss applies softmax itself.
struct MLP : dl::nn::Layer {
  dl::nn::Linear fc1{784, 256}, fc2{256, 128}, fc3{128, 10};

  MLP() {
    register_module("fc1", fc1);
    register_module("fc2", fc2);
    register_module("fc3", fc3);
  }

  dl::Tensor forward(const dl::Tensor& x) override {  // x: (B,784) -> (B,10)
    dl::Tensor h = dl::relu(fc1(x));
    h = dl::relu(fc2(h));
    return fc3(h);  // no ReLU here: negative scores are evidence too
  }
  std::string type_name() const override { return "MLP"; }
};
// [model]

}  // namespace ch01
