// autograd_graph — chapter 01's computation graphs as Graphviz DOT, for the website.
//
//   ./build/chapters/01-deep-learning/autograd_graph DIR
//
// Writes DIR/autograd_scalar.dot (the lesson's worked example, y = (ab + b)^2) and
// DIR/autograd_mlp.dot (the loss of chapter 01's MLP on a batch of four), each drawn
// by dl::to_dot from the tape the forward pass recorded. The docs build runs it and
// draws the files with Graphviz (`dot -Tsvg`); nothing here needs the data set.
#include <dl/autograd.hpp>
#include <dl/ops.hpp>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

#include "mlp.hpp"

namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  file.close();
  if (!file) throw dl::Error("cannot write " + path + " (does the folder exist and can it be written?)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "Usage: autograd_graph DIR\n"
                 "Writes DIR/autograd_scalar.dot and DIR/autograd_mlp.dot (Graphviz) for chapter 01's figures.\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    // [to-dot]
    dl::Tensor a = dl::Tensor::scalar(3.0f).requires_grad_();
    dl::Tensor b = dl::Tensor::scalar(2.0f).requires_grad_();
    const dl::Tensor y = dl::pow(a * b + b, 2);
    write(dir + "/autograd_scalar.dot", dl::to_dot(y, {{"a", a}, {"b", b}}));

    ch01::MLP model;
    const dl::Tensor images = dl::Tensor::randn({4, 784});  // four images: data, not on the tape
    const int labels[] = {0, 3, 7, 9};
    const dl::Tensor loss = dl::cross_entropy(model(images), labels);
    write(dir + "/autograd_mlp.dot", dl::to_dot(loss, model.named_parameters()));
    // [to-dot]
  } catch (const std::exception& e) {
    std::cerr << "autograd_graph: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
