// cnn — chapter 02: a convolutional network on Fashion-MNIST.
//
//   ./build/chapters/02-cnn/cnn                  # default run: two conv blocks, 7 epochs, a few minutes on 2 cores
//   ./build/chapters/02-cnn/cnn --full           # longer, for the best accuracy
//   ./build/chapters/02-cnn/cnn --arch lesson    # the seed lesson's network, corrected, on 3x24x24 crops
//   ./build/chapters/02-cnn/cnn --trace-lesson   # where the seed's 128*6*6 fits and where it does not
//
// Writes summary.json, metrics.jsonl and cnn.safetensors under --out, and for the
// lesson's figures: filters.json (first-layer kernels), feature_maps.json (what
// they make of one test image) and misclassified.json.
#include <cstdio>
#include <dl/app.hpp>
#include <dl/io.hpp>
#include <iostream>
#include <memory>

#include "cnn.hpp"

namespace {
constexpr const char* kChapter = "02-cnn";
constexpr const char* kLessonRun = "02-cnn-lesson";  // where --arch lesson writes
constexpr int kEpochs = 7;      // over 91% test accuracy in a few minutes of training on 2 cores
constexpr int kFullEpochs = 15;
constexpr int64_t kBatchSize = 64;
constexpr int kMisclassifiedShown = 16;
constexpr int64_t kFeatureMapImage = 0;  // the first test image (an ankle boot)

dl::app::Json to_json(const dl::Tensor& t) {
  dl::app::Json values = dl::app::Json::array();
  for (float v : t.to_vector()) values.push_back(dl::app::json_float(v));
  return {{"shape", t.shape()}, {"values", values}};
}

// The lesson's figures: first-layer filters, the feature maps of one test image, mistakes.
void write_artifacts(ch02::CNN& model, const dl::data::Dataset& test, const dl::train::Evaluation& eval,
                     const std::string& out_dir) {
  dl::no_grad guard;
  model.eval();
  const auto class_name = [](int label) { return dl::data::fashion_mnist_classes()[static_cast<size_t>(label)]; };
  const auto image = [&](int64_t i) { return dl::slice(test.images, 0, i, i + 1).reshape({28, 28}); };
  const dl::Tensor first = image(kFeatureMapImage).reshape({1, 1, 28, 28});
  const dl::app::Json maps = {{"label", class_name(test.labels[kFeatureMapImage])},
                              {"image", to_json(image(kFeatureMapImage))},
                              {"conv1_relu", to_json(dl::relu(model.conv1(first)).reshape({32, 28, 28}))}};
  dl::app::write_json_file(out_dir + "/feature_maps.json", maps, -1);
  dl::app::write_json_file(out_dir + "/filters.json", to_json(model.conv1.weight), -1);

  dl::app::Json wrong = dl::app::Json::array();
  for (size_t i = 0; i < eval.predictions.size() && wrong.size() < kMisclassifiedShown; ++i) {
    if (eval.predictions[i] == test.labels[i]) continue;
    wrong.push_back({{"index", i},
                     {"label", class_name(test.labels[i])},
                     {"predicted", class_name(eval.predictions[i])},
                     {"image", to_json(image(static_cast<int64_t>(i)))}});
  }
  dl::app::write_json_file(out_dir + "/misclassified.json", wrong, -1);
  model.train();
}
}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("cnn", argc, argv, [](dl::app::Program& program) {
    program.cli().description("Train a convolutional network on Fashion-MNIST (chapter 02).");
    dl::app::ClassifierFlags flags{.epochs = kEpochs, .full_epochs = kFullEpochs, .batch_size = kBatchSize};
    flags.add_to(program);
    std::string arch = "cnn";
    bool trace_lesson = false;
    program.cli()
        .add_option("--arch", arch, "cnn (the chapter's network) or lesson (the seed lesson's, corrected, on 24x24 crops)")
        ->check(CLI::IsMember({"cnn", "lesson"}));
    program.cli().add_flag("--trace-lesson", trace_lesson,
                           "print the seed lesson's network's layer shapes for 24x24 and 32x32 inputs, then exit");
    program.common.data_dir = dl::data::kFashionMnistDir;
    program.common.out_dir = dl::app::results_dir(kChapter);
    program.common.threads = 2;  // the convolutions spread a batch's images over the threads
    program.parse();
    if (trace_lesson) {
      // The seed's flatten size 128*6*6 is only right for 24x24 inputs; the trace shows where 32x32 breaks.
      ch02::SeedLessonCNN lesson;
      std::cout << "3x24x24 input:\n" << dl::nn::summary(lesson, {1, 3, 24, 24}) << "\n3x32x32 input:\n"
                << dl::nn::summary(lesson, {1, 3, 32, 32});
      return 0;
    }
    // The seed lesson's network's results go beside the chapter network's, not over them.
    std::string& out = program.common.out_dir;
    if (arch == "lesson" && out == dl::app::results_dir(kChapter)) out = dl::app::results_dir(kLessonRun);
    const dl::train::Config config = flags.config(program.common);

    auto train = dl::data::load_fashion_mnist(program.common.data_dir, dl::data::Split::train, flags.limit);
    auto test = dl::data::load_fashion_mnist(program.common.data_dir, dl::data::Split::test);
    std::unique_ptr<dl::nn::Layer> model;
    dl::Shape input_shape;
    if (arch == "lesson") {
      train = ch02::lesson_inputs(train);
      test = ch02::lesson_inputs(test);
      model = std::make_unique<ch02::SeedLessonCNN>();
      input_shape = {1, 3, 24, 24};
    } else {
      model = std::make_unique<ch02::CNN>();
      input_shape = {1, 1, 28, 28};
    }
    std::cout << dl::nn::summary(*model, input_shape) << "training on " << train.size() << " images, testing on "
              << test.size() << "\n";

    const dl::app::Run run = dl::app::fit_and_log(*model, train, test, config, out);
    const dl::train::Evaluation eval = dl::train::evaluate_classifier(*model, test);
    dl::app::Json summary = dl::app::summarize(kChapter, program, config, run, eval, dl::data::fashion_mnist_classes(),
                                               train.size(), model->num_parameters());
    summary["arch"] = arch;
    dl::app::write_json_file(out + "/summary.json", summary);
    dl::save_safetensors(out + "/" + arch + ".safetensors", model->state_dict(), {{"chapter", kChapter}});
    if (arch == "cnn") write_artifacts(static_cast<ch02::CNN&>(*model), test, eval, out);

    std::printf("test accuracy %.4f after %d epochs in %.1f s of training; results in %s\n", eval.accuracy,
                config.epochs, run.train_seconds, out.c_str());
    return 0;
  });
}
