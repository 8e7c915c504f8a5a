// mlp — chapter 01: train a 784-256-128-10 multilayer perceptron on Fashion-MNIST.
//
//   ./build/chapters/01-deep-learning/mlp            # default run, about ten seconds
//   ./build/chapters/01-deep-learning/mlp --full     # longer, for the best accuracy
//   ./build/chapters/01-deep-learning/mlp --help     # every flag
//
// Prints a short summary on stdout, a progress bar on stderr, and writes
// summary.json, metrics.jsonl and mlp.safetensors under --out.
#include <cstdio>
#include <dl/app.hpp>
#include <dl/io.hpp>
#include <iostream>

#include "mlp.hpp"

namespace {
constexpr const char* kChapter = "01-deep-learning";
constexpr int kEpochs = 12;      // 88.9% test accuracy in about 8 s on one core
constexpr int kFullEpochs = 40;  // 89.9% in about 26 s
}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("mlp", argc, argv, [](dl::app::Program& program) {
    program.cli().description("Train a 784-256-128-10 MLP on Fashion-MNIST (chapter 01).");
    dl::app::ClassifierFlags flags{.epochs = kEpochs, .full_epochs = kFullEpochs};
    flags.add_to(program);
    program.common.data_dir = dl::data::kFashionMnistDir;
    program.common.out_dir = dl::app::results_dir(kChapter);
    // One thread by default: this network's matrix products are small, so a second
    // thread gains nothing measurable, and threads that wait for each other inside
    // every product stall when another process is busy on the same cores.
    program.common.threads = 1;
    program.parse();
    const dl::train::Config config = flags.config(program.common);
    const std::string& out = program.common.out_dir;

    const auto train = dl::data::load_fashion_mnist(program.common.data_dir, dl::data::Split::train, flags.limit);
    const auto test = dl::data::load_fashion_mnist(program.common.data_dir, dl::data::Split::test);
    ch01::MLP model;
    std::cout << model << "\n" << model.num_parameters() << " parameters; training on " << train.size()
              << " images, testing on " << test.size() << "\n";

    const dl::app::Run run = dl::app::fit_and_log(model, train, test, config, out);
    const dl::train::Evaluation eval = dl::train::evaluate_classifier(model, test);
    dl::app::write_json_file(out + "/summary.json",
                             dl::app::summarize(kChapter, program, config, run, eval, dl::data::fashion_mnist_classes(),
                                                train.size(), model.num_parameters()));
    dl::save_safetensors(out + "/mlp.safetensors", model.state_dict(), {{"chapter", kChapter}});

    std::printf("test accuracy %.4f after %d epochs in %.1f s of training; results in %s\n", eval.accuracy,
                config.epochs, run.train_seconds, out.c_str());
    return 0;
  });
}
