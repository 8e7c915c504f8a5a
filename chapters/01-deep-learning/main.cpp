// mlp — chapter 01: train a 784-256-128-10 multilayer perceptron on Fashion-MNIST.
//
//   ./build/chapters/01-deep-learning/mlp            # default run, about a minute
//   ./build/chapters/01-deep-learning/mlp --full     # longer, for the best accuracy
//   ./build/chapters/01-deep-learning/mlp --help     # every flag
//
// Prints a short summary on stdout, a progress bar on stderr, and writes
// summary.json, metrics.jsonl and mlp.safetensors under --out.
#include <cstdio>
#include <dl/data.hpp>
#include <dl/io.hpp>
#include <dl/util.hpp>
#include <exception>
#include <filesystem>
#include <iostream>

#include "mlp.hpp"

namespace {
constexpr const char* kChapter = "01-deep-learning";
constexpr int kFullEpochs = 40;  // --full: long enough for the best accuracy of this network
}  // namespace

int main(int argc, char** argv) {
  ch01::Config config;
  std::string data_dir = dl::data::kFashionMnistDir;
  std::string out_dir = std::string(DL_RESULTS_DIR) + "/" + kChapter;
  int64_t seed = 0;
  // One thread by default: this network's matrix products are small, so a second
  // thread gains nothing measurable, and Eigen's threads spin-wait on each other,
  // which costs 10x or more when another process is busy on the same cores.
  int threads = 1;
  int64_t train_limit = -1;
  bool full = false;

  dl::util::ArgParser args("mlp", "Train a 784-256-128-10 MLP on Fashion-MNIST (chapter 01).");
  args.add_option("--epochs", &config.epochs, "passes over the training set");
  args.add_option("--batch-size", &config.batch_size, "examples per optimisation step");
  args.add_option("--lr", &config.lr, "initial learning rate of Adam (cosine-annealed to 0)");
  args.add_option("--seed", &seed, "seed of initialisation and shuffling");
  args.add_option("--threads", &threads, "threads for matrix products");
  args.add_option("--data", &data_dir, "folder with the Fashion-MNIST .gz files");
  args.add_option("--out", &out_dir, "folder for summary.json, metrics.jsonl and the weights");
  args.add_option("--limit", &train_limit, "train on the first N images only (-1: all 60000)");
  args.add_flag("--full", &full, "train longer for the best accuracy (" + std::to_string(kFullEpochs) + " epochs)");
  args.parse(argc, argv);
  if (full) config.epochs = kFullEpochs;
  if (config.epochs <= 0 || config.batch_size <= 0 || threads <= 0 || !(config.lr > 0) || seed < 0) {
    std::cerr << "mlp: error: --epochs, --batch-size, --threads and --lr must be positive, --seed not negative\n"
              << args.usage();
    return 2;
  }
  config.seed = static_cast<uint64_t>(seed);

  try {
    dl::set_num_threads(threads);
    dl::manual_seed(config.seed);
    const auto train = dl::data::load_fashion_mnist(data_dir, dl::data::Split::train, train_limit);
    const auto test = dl::data::load_fashion_mnist(data_dir, dl::data::Split::test);
    ch01::MLP model;
    std::cout << model << "\n" << model.num_parameters() << " parameters; training on " << train.size()
              << " images, testing on " << test.size() << "\n";

    std::filesystem::create_directories(out_dir);
    dl::util::MetricsWriter metrics(out_dir + "/metrics.jsonl");
    dl::util::Timer timer;
    const auto history = ch01::train(
        model, train, test, config,
        [&](const ch01::StepLog& s) {
          dl::Json r = dl::Json::object();
          r["step"] = s.step;
          r["loss"] = s.loss;
          r["lr"] = s.lr;
          metrics.write(r);
        },
        [&](const ch01::EpochStats& e) {
          dl::Json r = dl::Json::object();
          r["epoch"] = e.epoch;
          r["step"] = e.step;
          r["train_loss"] = e.train_loss;
          r["train_accuracy"] = e.train_accuracy;
          r["test_loss"] = e.test_loss;
          r["test_accuracy"] = e.test_accuracy;
          r["seconds"] = e.seconds;
          metrics.write(r);
          std::printf("epoch %2d  train loss %.4f  acc %.4f   test loss %.4f  acc %.4f   %.1fs\n", e.epoch,
                      e.train_loss, e.train_accuracy, e.test_loss, e.test_accuracy, e.seconds);
          std::fflush(stdout);
        });
    const double train_seconds = timer.seconds();

    const ch01::Evaluation final_eval = ch01::evaluate(model, test);
    dl::Json summary = dl::Json::object();
    summary["chapter"] = kChapter;
    summary["test_accuracy"] = final_eval.accuracy;
    summary["test_loss"] = final_eval.loss;
    summary["train_accuracy"] = history.back().train_accuracy;
    summary["train_seconds"] = train_seconds;
    summary["epochs"] = config.epochs;
    summary["batch_size"] = config.batch_size;
    summary["lr"] = config.lr;
    summary["seed"] = config.seed;
    summary["threads"] = threads;
    summary["train_images"] = train.size();
    summary["parameters"] = model.num_parameters();
    dl::Json per_class = dl::Json::object();
    dl::Json confusion = dl::Json::array();
    for (size_t c = 0; c < final_eval.confusion.size(); ++c) {
      int64_t total = 0;
      dl::Json row = dl::Json::array();
      for (int64_t n : final_eval.confusion[c]) {
        total += n;
        row.push_back(n);
      }
      per_class[dl::data::fashion_mnist_classes()[c]] =
          total ? static_cast<double>(final_eval.confusion[c][c]) / static_cast<double>(total) : 0.0;
      confusion.push_back(row);
    }
    summary["per_class_accuracy"] = per_class;
    summary["confusion"] = confusion;
    dl::util::write_json_file(out_dir + "/summary.json", summary);
    dl::save_safetensors(out_dir + "/mlp.safetensors", model.state_dict(), {{"chapter", kChapter}});

    std::printf("test accuracy %.4f after %d epochs in %.1f s of training; results in %s\n", final_eval.accuracy,
                config.epochs, train_seconds, out_dir.c_str());
    return 0;
  } catch (const dl::NonFiniteError& e) {
    std::cerr << "mlp: training stopped: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mlp: error: " << e.what() << "\n";
    return 1;
  }
}
