// Chapter 02 end to end: the CNN learns from a small subset; the seed's network runs on its inputs.
#include <catch2/catch.hpp>
#include <dl/threads.hpp>
#include <dl/train.hpp>

#include "cnn.hpp"

namespace {
const dl::data::Dataset& small_train() {
  static const auto data = dl::data::load_fashion_mnist(dl::data::kFashionMnistDir, dl::data::Split::train, 2000);
  return data;
}
const dl::data::Dataset& held_out() {
  static const auto data = dl::data::load_fashion_mnist(dl::data::kFashionMnistDir, dl::data::Split::test, 1000);
  return data;
}
}  // namespace

TEST_CASE("cnn: trains on 2,000 images and beats 75% on held-out test images", "[chapter][cnn]") {
  dl::set_num_threads(2);
  dl::manual_seed(1);
  ch02::CNN model;
  dl::train::Config config;
  config.epochs = 5;
  config.batch_size = 64;
  const auto history = dl::train::fit_classifier(model, small_train(), held_out(), config);
  INFO("held-out accuracy after the first and last epoch: " << history.front().test_accuracy << ", "
                                                            << history.back().test_accuracy);
  CHECK(history.back().test_accuracy > 0.75);
  CHECK(history.back().train_loss < history.front().train_loss);
}

TEST_CASE("cnn: the seed's network, corrected, takes 3x24x24 crops and learns", "[chapter][cnn]") {
  const dl::data::Dataset crops = ch02::lesson_inputs(dl::data::subset(small_train(), 0, 512));
  REQUIRE(crops.images.shape() == dl::Shape{512, 3 * 24 * 24});
  // Channel copies are identical, and the crop drops the 2-pixel border.
  CHECK(crops.images.at(0) == small_train().images.at(2 * 28 + 2));
  CHECK(crops.images.at(24 * 24) == crops.images.at(0));
  dl::manual_seed(2);
  ch02::SeedLessonCNN model;
  CHECK(model(dl::slice(crops.images, 0, 4, 8)).shape() == dl::Shape{4, 10});
  dl::train::Config config;
  config.epochs = 2;
  config.batch_size = 64;
  const auto history = dl::train::fit_classifier(model, crops, ch02::lesson_inputs(dl::data::subset(held_out(), 0, 300)), config);
  CHECK(history.back().test_accuracy > 0.55);
}

TEST_CASE("cnn: the seed's flatten size only fits 24x24 inputs", "[chapter][cnn][errors]") {
  ch02::SeedLessonCNN model;
  dl::nn::Layer& m = model;
  CHECK_THAT(dl::nn::summary(m, {1, 3, 24, 24}), Catch::Contains("[1,4608]") && !Catch::Contains("error"));
  // 32x32 images leave 128x8x8 = 8192 features for a layer that expects 4608.
  CHECK_THAT(dl::nn::summary(m, {1, 3, 32, 32}),
             Catch::Contains("[1,8192]") && Catch::Contains("error: linear") && Catch::Contains("expected 4608, got 8192"));
}
