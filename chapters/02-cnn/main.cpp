// cnn — chapter 02: a convolutional network on Fashion-MNIST.
//
//   ./build/chapters/02-cnn/cnn                # default run: two conv blocks, a few minutes at most
//   ./build/chapters/02-cnn/cnn --full         # longer, for the best accuracy
//   ./build/chapters/02-cnn/cnn --arch seed    # the seed lesson's network, corrected, on 3x24x24 crops
//   ./build/chapters/02-cnn/cnn --trace-seed   # where the seed's 128*6*6 fits and where it does not
//
// Writes summary.json, metrics.jsonl and cnn.safetensors under --out, and for the
// lesson's figures: filters.json (first-layer kernels), feature_maps.json (what
// they make of one test image) and misclassified.json.
#include <cstdio>
#include <dl/io.hpp>
#include <dl/train.hpp>
#include <exception>
#include <iostream>

#include "cnn.hpp"

namespace {
constexpr const char* kChapter = "02-cnn";
constexpr int kEpochs = 7;      // about 91.5% in about 2.5 minutes of training on 2 cores
constexpr int kFullEpochs = 15;
constexpr int64_t kBatchSize = 64;
constexpr int kMisclassifiedShown = 16;
constexpr int64_t kFeatureMapImage = 0;  // the first test image (an ankle boot)

dl::Json to_json(const dl::Tensor& t) {
  dl::Json values = dl::Json::array();
  for (float v : t.to_vector()) values.push_back(v);
  dl::Json shape = dl::Json::array();
  for (int64_t d : t.shape()) shape.push_back(d);
  dl::Json out = dl::Json::object();
  out["shape"] = shape;
  out["values"] = values;
  return out;
}

// The lesson's figures: first-layer filters, the feature maps of one test image, mistakes.
void write_artifacts(ch02::CNN& model, const dl::data::Dataset& test, const dl::train::Evaluation& eval,
                     const std::string& out_dir) {
  dl::no_grad guard;
  model.eval();
  const dl::Tensor image = dl::slice(test.images, 0, kFeatureMapImage, kFeatureMapImage + 1).reshape({1, 1, 28, 28});
  dl::Json maps = dl::Json::object();
  maps["label"] = dl::data::fashion_mnist_classes()[static_cast<size_t>(test.labels[kFeatureMapImage])];
  maps["image"] = to_json(image.reshape({28, 28}));
  maps["conv1_relu"] = to_json(dl::relu(model.conv1(image)).reshape({32, 28, 28}));
  dl::util::write_json_file(out_dir + "/feature_maps.json", maps, -1);
  dl::util::write_json_file(out_dir + "/filters.json", to_json(model.conv1.weight), -1);

  dl::Json wrong = dl::Json::array();
  for (size_t i = 0; i < eval.predictions.size() && wrong.size() < kMisclassifiedShown; ++i) {
    if (eval.predictions[i] == test.labels[i]) continue;
    dl::Json item = dl::Json::object();
    item["index"] = i;
    item["label"] = dl::data::fashion_mnist_classes()[static_cast<size_t>(test.labels[i])];
    item["predicted"] = dl::data::fashion_mnist_classes()[static_cast<size_t>(eval.predictions[i])];
    item["image"] = to_json(dl::slice(test.images, 0, static_cast<int64_t>(i), static_cast<int64_t>(i) + 1).reshape({28, 28}));
    wrong.push_back(item);
  }
  dl::util::write_json_file(out_dir + "/misclassified.json", wrong, -1);
  model.train();
}
}  // namespace

int main(int argc, char** argv) {
  dl::train::ProgramOptions options;
  options.config.epochs = kEpochs;
  options.config.batch_size = kBatchSize;
  options.data_dir = dl::data::kFashionMnistDir;
  const std::string default_out = std::string(DL_RESULTS_DIR) + "/" + kChapter;
  options.out_dir = default_out;
  options.threads = 2;  // the convolutions' GEMMs are large enough to share between cores
  std::string arch = "cnn";
  bool trace_seed = false;
  dl::util::ArgParser args("cnn", "Train a convolutional network on Fashion-MNIST (chapter 02).");
  dl::train::add_program_flags(args, options, kFullEpochs);
  args.add_option("--arch", &arch, "cnn (the chapter's network) or seed (the seed lesson's, corrected, on 24x24 crops)");
  args.add_flag("--trace-seed", &trace_seed, "print the seed network's layer shapes for 24x24 and 32x32 inputs, then exit");
  args.parse(argc, argv);
  dl::train::apply_program_flags(args, options, kFullEpochs);
  if (trace_seed) {
    // The seed's flatten size 128*6*6 is only right for 24x24 inputs; the trace shows where 32x32 breaks.
    ch02::SeedCNN seed;
    std::cout << "3x24x24 input:\n" << dl::nn::summary(seed, {1, 3, 24, 24}) << "\n3x32x32 input:\n"
              << dl::nn::summary(seed, {1, 3, 32, 32});
    return 0;
  }
  if (arch != "cnn" && arch != "seed") {
    std::cerr << "cnn: error: --arch must be cnn or seed, got '" << arch << "'\n\n" << args.usage();
    return 2;
  }
  // The seed network's results go beside the chapter network's, not over them.
  if (arch == "seed" && options.out_dir == default_out) options.out_dir += "-seed";

  try {
    auto train = dl::data::load_fashion_mnist(options.data_dir, dl::data::Split::train, options.limit);
    auto test = dl::data::load_fashion_mnist(options.data_dir, dl::data::Split::test);
    std::unique_ptr<dl::nn::Module> model;
    dl::Shape input_shape;
    if (arch == "seed") {
      train = ch02::seed_inputs(train);
      test = ch02::seed_inputs(test);
      model = std::make_unique<ch02::SeedCNN>();
      input_shape = {1, 3, 24, 24};
    } else {
      model = std::make_unique<ch02::CNN>();
      input_shape = {1, 1, 28, 28};
    }
    std::cout << dl::nn::summary(*model, input_shape) << "training on " << train.size() << " images, testing on "
              << test.size() << "\n";

    const dl::train::Run run = dl::train::fit_and_log(*model, train, test, options);
    const dl::train::Evaluation eval = dl::train::evaluate_classifier(*model, test);
    dl::Json summary = dl::train::summarize(kChapter, options, run, eval, dl::data::fashion_mnist_classes(),
                                            train.size(), model->num_parameters());
    summary["arch"] = arch;
    dl::util::write_json_file(options.out_dir + "/summary.json", summary);
    dl::save_safetensors(options.out_dir + "/" + arch + ".safetensors", model->state_dict(), {{"chapter", kChapter}});
    if (arch == "cnn") write_artifacts(static_cast<ch02::CNN&>(*model), test, eval, options.out_dir);

    std::printf("test accuracy %.4f after %d epochs in %.1f s of training; results in %s\n", eval.accuracy,
                options.config.epochs, run.train_seconds, options.out_dir.c_str());
    return 0;
  } catch (const dl::NonFiniteError& e) {
    std::cerr << "cnn: training stopped: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cnn: error: " << e.what() << "\n";
    return 1;
  }
}
