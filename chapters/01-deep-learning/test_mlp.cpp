// Chapter 01 end to end: the MLP learns, is reproducible, and stops on NaN.
#include <catch2/catch.hpp>
#include <cmath>
#include <tuple>

#include <dl/threads.hpp>
#include <dl/train.hpp>

#include "mlp.hpp"

namespace {
const dl::data::Dataset& small_train() {
  static const auto data = dl::data::load_fashion_mnist(dl::data::kFashionMnistDir, dl::data::Split::train, 2000);
  return data;
}
const dl::data::Dataset& held_out() {
  static const auto data = dl::data::load_fashion_mnist(dl::data::kFashionMnistDir, dl::data::Split::test, 2000);
  return data;
}
}  // namespace

TEST_CASE("mlp: trains on 2,000 images and beats 70% on held-out test images", "[chapter][mlp]") {
  dl::set_num_threads(2);
  dl::manual_seed(1);
  ch01::MLP model;
  const double before = dl::train::evaluate_classifier(model, held_out()).accuracy;
  dl::train::Config config;
  config.epochs = 4;
  config.batch_size = 64;
  const auto history = dl::train::fit_classifier(model, small_train(), held_out(), config);
  const dl::train::Evaluation after = dl::train::evaluate_classifier(model, held_out());
  INFO("accuracy before " << before << ", after " << after.accuracy);
  CHECK(before < 0.3);  // an untrained network guesses
  CHECK(after.accuracy > 0.70);
  CHECK(history.back().train_loss < history.front().train_loss);
  CHECK(after.accuracy == Approx(history.back().test_accuracy));
}

TEST_CASE("mlp: same seed and one thread give bit-identical losses", "[chapter][mlp]") {
  auto run = [] {
    dl::set_num_threads(1);
    dl::manual_seed(7);
    ch01::MLP model;
    dl::train::Config config;
    config.epochs = 1;
    config.seed = 7;
    config.log_every = 1;
    std::vector<double> losses;
    dl::train::fit_classifier(model, dl::data::subset(small_train(), 0, 640), held_out(), config,
                {.on_step = [&](const dl::train::StepLog& s) { losses.push_back(s.loss); }});
    return losses;
  };
  const std::vector<double> first = run(), second = run();
  REQUIRE(first.size() == 5);
  CHECK(first == second);  // exact equality: same bits
  CHECK(first.back() < first.front());
  dl::set_num_threads(2);
}

TEST_CASE("mlp: a NaN in the data stops training and names the step", "[chapter][mlp][errors]") {
  dl::data::Dataset poisoned = dl::data::subset(small_train(), 0, 256);
  poisoned.images.data()[128 * 784 + 5] = NAN;  // image 128: the third batch of 64 when not shuffled
  ch01::MLP model;
  dl::train::Config config;
  config.epochs = 1;
  config.batch_size = 256;
  try {
    dl::train::fit_classifier(model, poisoned, held_out(), config);
    FAIL("training went on with a NaN loss");
  } catch (const dl::NonFiniteError& e) {
    CHECK_THAT(e.what(), Catch::Contains("NaN") && Catch::Contains("step 1"));
  }
}

TEST_CASE("mlp: fit_classifier refuses zero epochs, batch size or logging interval instead of dividing by zero", "[chapter][mlp][errors]") {
  ch01::MLP model;
  const dl::data::Dataset tiny = dl::data::subset(small_train(), 0, 10);
  for (const auto& [epochs, batch, log_every] : {std::tuple{0, 4, 1}, std::tuple{1, 0, 1}, std::tuple{1, 4, 0}}) {
    dl::train::Config config;
    config.epochs = epochs;
    config.batch_size = batch;
    config.log_every = log_every;
    CHECK_THROWS_WITH(dl::train::fit_classifier(model, tiny, tiny, config), Catch::Contains("must be at least 1"));
  }
}
