// The classification chapters' flags, logged training loop and summary.
#include "dl/app/classify.hpp"

#include <cstdio>
#include <iostream>

#include "dl/app/progress.hpp"

namespace dl::app {

void ClassifierFlags::add_to(Program& program) {
  CLI::App& cli = program.cli();
  cli.add_option("--epochs", epochs, "passes over the training set")->check(CLI::PositiveNumber);
  cli.add_option("--batch-size", batch_size, "examples per optimisation step")->check(CLI::PositiveNumber);
  cli.add_option("--lr", lr, "initial learning rate of Adam (cosine-annealed to 0)")->check(positive);
  cli.add_option("--limit", limit, "train on the first N examples only (-1: all)")
      ->check((positive | CLI::IsMember(std::vector<int64_t>{-1})).description("POSITIVE or -1"));
  cli.add_flag("--full", full, "train longer for the best accuracy (" + std::to_string(full_epochs) + " epochs)");
}

train::Config ClassifierFlags::config(const CommonFlags& common) const {
  return {.epochs = full ? full_epochs : epochs,
          .batch_size = batch_size,
          .lr = lr,
          .seed = static_cast<uint64_t>(common.seed)};
}

Json to_json(const train::StepLog& log) { return {{"step", log.step}, {"loss", log.loss}, {"lr", log.lr}}; }

Json to_json(const train::EpochStats& e) {
  return {{"epoch", e.epoch},           {"step", e.step},
          {"train_loss", e.train_loss}, {"train_accuracy", e.train_accuracy},
          {"test_loss", e.test_loss},   {"test_accuracy", e.test_accuracy},
          {"lr", e.lr},                 {"seconds", e.seconds}};
}

std::string format_epoch(const train::EpochStats& e) {
  char line[160];
  std::snprintf(line, sizeof line, "epoch %2d  train loss %.4f  acc %.4f   test loss %.4f  acc %.4f   %.1fs", e.epoch,
                e.train_loss, e.train_accuracy, e.test_loss, e.test_accuracy, e.seconds);
  return line;
}

Run fit_and_log(nn::Layer& model, const data::Dataset& train, const data::Dataset& test,
                const train::Config& config, const std::string& out_dir) {
  MetricsWriter metrics(out_dir + "/metrics.jsonl");
  std::unique_ptr<ProgressBar> bar;  // one per epoch, on stderr when it is a terminal
  Timer timer;
  Run run;
  run.history = train::fit_classifier(
      model, train, test, config,
      {.on_batch =
           [&](const train::BatchProgress& p) {
             if (p.batch == 1)
               bar = std::make_unique<ProgressBar>(
                   "epoch " + std::to_string(p.epoch) + "/" + std::to_string(config.epochs), p.batches);
             bar->update(p.batch, p.loss);
           },
       .on_step = [&](const train::StepLog& s) { metrics.write(to_json(s)); },
       .on_epoch =
           [&](const train::EpochStats& e) {
             if (bar) bar->finish();
             metrics.write(to_json(e));
             std::cout << format_epoch(e) << std::endl;
           }});
  run.train_seconds = timer.seconds();
  return run;
}

Json summarize(const std::string& chapter, const Program& program, const train::Config& config, const Run& run,
               const train::Evaluation& eval, std::span<const char* const> class_names, int64_t train_examples,
               int64_t parameters) {
  Json per_class = Json::object();
  Json confusion = Json::array();
  for (size_t c = 0; c < eval.confusion.size(); ++c) {
    int64_t total = 0;
    for (int64_t n : eval.confusion[c]) total += n;
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    per_class[name] = total ? static_cast<double>(eval.confusion[c][c]) / static_cast<double>(total) : 0.0;
    confusion.push_back(eval.confusion[c]);
  }
  const Json results = {{"test_accuracy", eval.accuracy},
                        {"test_loss", eval.loss},
                        {"per_class_accuracy", per_class},
                        {"confusion", confusion},
                        {"train_accuracy", run.history.empty() ? 0.0 : run.history.back().train_accuracy},
                        {"train_seconds", run.train_seconds}};
  const Json settings = {{"epochs", config.epochs},
                         {"batch_size", config.batch_size},
                         {"lr", json_float(config.lr)},
                         {"seed", program.common.seed},
                         {"threads", program.common.threads},
                         {"train_examples", train_examples},
                         {"parameters", parameters}};
  return make_summary(chapter, results, settings);
}

}  // namespace dl::app
