// Chapter 01: a multilayer perceptron on Fashion-MNIST.
// The model and its training loop; main.cpp adds flags and output files.
#pragma once

#include <dl/data.hpp>
#include <dl/nn.hpp>
#include <functional>
#include <vector>

namespace ch01 {

// [model]
/// 784 -> 256 -> 128 -> 10 with ReLU: y = W3 relu(W2 relu(W1 x + b1) + b2) + b3.
/// The output is raw scores (logits); the loss applies softmax itself.
struct MLP : dl::nn::Module {
  std::string type_name() const override { return "MLP"; }
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
};
// [model]

/// Training settings (the program's flags).
struct Config {
  int epochs = 12;
  int64_t batch_size = 128;
  float lr = 1e-3f;        // Adam's step size at the start; cosine-annealed to 0
  float weight_decay = 0;  // AdamW decay (0: plain Adam)
  uint64_t seed = 0;
  bool progress = true;    // progress bar on stderr (only shown on a terminal)
  int log_every = 50;      // steps between metrics records
};

/// Loss and accuracy of the model on a data set, and where it goes wrong.
struct Evaluation {
  double loss = 0;
  double accuracy = 0;
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
};

/// What one epoch achieved.
struct EpochStats {
  int epoch = 0;
  int64_t step = 0;
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
  double lr = 0, seconds = 0;
};

/// One logged training step.
struct StepLog {
  int64_t step;
  double loss;
  double lr;
};

/// Trains `model` on `train` with Adam and a cosine learning-rate schedule,
/// evaluating on `test` after each epoch. Throws dl::NonFiniteError if the loss
/// becomes NaN or infinite. Callbacks receive each logged step and each epoch.
std::vector<EpochStats> train(MLP& model, const dl::data::Dataset& train, const dl::data::Dataset& test,
                              const Config& config, const std::function<void(const StepLog&)>& on_step = {},
                              const std::function<void(const EpochStats&)>& on_epoch = {});

/// Mean loss, accuracy and confusion matrix of `model` on `data` (eval mode, no graph).
Evaluation evaluate(MLP& model, const dl::data::Dataset& data, int64_t batch_size = 1000);

}  // namespace ch01
