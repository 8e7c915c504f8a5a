// mlp — chapter 01: train a 784-256-128-10 multilayer perceptron on Fashion-MNIST.
//
//   ./build/chapters/01-deep-learning/mlp            # default run, about ten seconds
//   ./build/chapters/01-deep-learning/mlp --full     # longer, for the best accuracy
//   ./build/chapters/01-deep-learning/mlp --help     # every flag
//
// Prints a short summary on stdout, a progress bar on stderr, and writes
// summary.json, metrics.jsonl and mlp.safetensors under --out.
#include <cstdio>
#include <dl/io.hpp>
#include <dl/train.hpp>
#include <exception>
#include <iostream>

#include "mlp.hpp"

namespace {
constexpr const char* kChapter = "01-deep-learning";
constexpr int kEpochs = 12;      // 88.9% test accuracy in about 8 s on one core
constexpr int kFullEpochs = 40;  // 89.9% in about 26 s
}  // namespace

int main(int argc, char** argv) {
  dl::train::ProgramOptions options;
  options.config.epochs = kEpochs;
  options.data_dir = dl::data::kFashionMnistDir;
  options.out_dir = std::string(DL_RESULTS_DIR) + "/" + kChapter;
  // One thread by default: this network's matrix products are small, so a second
  // thread gains nothing measurable, and Eigen's threads spin-wait on each other,
  // which costs 10x or more when another process is busy on the same cores.
  options.threads = 1;
  dl::util::ArgParser args("mlp", "Train a 784-256-128-10 MLP on Fashion-MNIST (chapter 01).");
  dl::train::add_program_flags(args, options, kFullEpochs);
  args.parse(argc, argv);
  dl::train::apply_program_flags(args, options, kFullEpochs);

  try {
    const auto train = dl::data::load_fashion_mnist(options.data_dir, dl::data::Split::train, options.limit);
    const auto test = dl::data::load_fashion_mnist(options.data_dir, dl::data::Split::test);
    ch01::MLP model;
    std::cout << model << "\n" << model.num_parameters() << " parameters; training on " << train.size()
              << " images, testing on " << test.size() << "\n";

    const dl::train::Run run = dl::train::fit_and_log(model, train, test, options);
    const dl::train::Evaluation eval = dl::train::evaluate_classifier(model, test);
    const dl::Json summary = dl::train::summarize(kChapter, options, run, eval, dl::data::fashion_mnist_classes(),
                                                  train.size(), model.num_parameters());
    dl::util::write_json_file(options.out_dir + "/summary.json", summary);
    dl::save_safetensors(options.out_dir + "/mlp.safetensors", model.state_dict(), {{"chapter", kChapter}});

    std::printf("test accuracy %.4f after %d epochs in %.1f s of training; results in %s\n", eval.accuracy,
                options.config.epochs, run.train_seconds, options.out_dir.c_str());
    return 0;
  } catch (const dl::NonFiniteError& e) {
    std::cerr << "mlp: training stopped: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mlp: error: " << e.what() << "\n";
    return 1;
  }
}
