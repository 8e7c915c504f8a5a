// Chapter 02: convolutional networks for Fashion-MNIST, and the seed's network made right.
#pragma once

#include <dl/data.hpp>
#include <dl/nn.hpp>

namespace ch02 {

// [cnn]
/// Two convolution blocks and a classifier:
///   (B,1,28,28) -conv 3x3, 32-> (B,32,28,28) -pool-> (B,32,14,14)
///   -conv 3x3, 64-> (B,64,14,14) -pool-> (B,64,7,7) -flatten-> (B,3136) -> 128 -> 10
struct CNN : dl::nn::Layer {
  dl::nn::Conv2d conv1{1, 32, {.kernel = 3, .padding = 1}};
  dl::nn::Conv2d conv2{32, 64, {.kernel = 3, .padding = 1}};
  dl::nn::MaxPool2d pool{2};
  dl::nn::Linear fc1{64 * 7 * 7, 128}, fc2{128, 10};

  CNN() {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("pool", pool);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }

  dl::Tensor forward(const dl::Tensor& x) override {   // x: (B,784) or (B,1,28,28)
    dl::Tensor h = x.dim() == 4 ? x : x.reshape({-1, 1, 28, 28});
    h = pool(dl::relu(conv1(h)));                     // (B,32,14,14)
    h = pool(dl::relu(conv2(h)));                     // (B,64,7,7)
    h = dl::relu(fc1(dl::flatten(h)));                // (B,128)
    return fc2(h);                                    // (B,10) logits, no ReLU
  }
  std::string type_name() const override { return "CNN"; }
};
// [cnn]

// [seed-cnn]
/// The seed's PyTorch network, corrected: F.relu spelled out as dl::relu, the
/// flatten size 128*6*6 fed by the 24x24 inputs it was written for, and no ReLU
/// on the logits.  (B,3,24,24) -> (B,64,12,12) -> (B,128,6,6) -> (B,4608) -> (B,10)
struct SeedLessonCNN : dl::nn::Layer {
  dl::nn::Conv2d conv1{3, 64, {.kernel = 3, .stride = 1, .padding = 1}};
  dl::nn::MaxPool2d pool{2, 2};
  dl::nn::Conv2d conv2{64, 128, {.kernel = 3, .stride = 1, .padding = 1}};
  dl::nn::Flatten flatten;  // the seed's x.view(-1, 128*6*6), without hard-coding the size
  dl::nn::Linear fc1{128 * 6 * 6, 10};

  SeedLessonCNN() {
    register_module("conv1", conv1);
    register_module("pool", pool);
    register_module("conv2", conv2);
    register_module("flatten", flatten);
    register_module("fc1", fc1);
  }

  dl::Tensor forward(const dl::Tensor& x) override {  // x: (B,3*24*24) or (B,3,H,W)
    dl::Tensor h = x.dim() == 4 ? x : x.reshape({-1, 3, 24, 24});
    h = pool(dl::relu(conv1(h)));
    h = pool(dl::relu(conv2(h)));
    return fc1(flatten(h));  // the seed applied F.relu here, clipping every negative score to 0
  }
  std::string type_name() const override { return "SeedLessonCNN"; }
};
// [seed-cnn]

/// The seed network's inputs made from Fashion-MNIST: the centre 24x24 crop of each
/// image, copied into 3 channels.  images: (N,784) -> (N,3*24*24)
dl::data::Dataset lesson_inputs(const dl::data::Dataset& data);

}  // namespace ch02
