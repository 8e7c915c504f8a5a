// The classification training loop, and the flags and records chapter programs share.
#include "dl/train.hpp"

#include <cstdio>
#include <iostream>

#include "dl/optim.hpp"

namespace dl::train {

Evaluation evaluate_classifier(nn::Module& model, const data::Dataset& data, int64_t batch_size) {
  no_grad guard;  // evaluation builds no graph
  const bool was_training = model.is_training();
  model.eval();
  Evaluation result;
  data::DataLoader loader(data, batch_size, /*shuffle=*/false, /*seed=*/0);
  loader.start_epoch();
  data::Batch batch;
  double loss_sum = 0;
  int64_t correct = 0;
  while (loader.next(batch)) {
    const Tensor logits = model(batch.x);
    const auto classes = static_cast<size_t>(logits.size(1));
    if (result.confusion.empty()) result.confusion.assign(classes, std::vector<int64_t>(classes, 0));
    loss_sum += cross_entropy(logits, batch.y).item() * static_cast<double>(batch.y.size());
    const std::vector<int> predicted = argmax(logits);
    for (size_t i = 0; i < predicted.size(); ++i) {
      correct += predicted[i] == batch.y[i];
      ++result.confusion[static_cast<size_t>(batch.y[i])][static_cast<size_t>(predicted[i])];
    }
    result.predictions.insert(result.predictions.end(), predicted.begin(), predicted.end());
  }
  model.train(was_training);
  result.loss = loss_sum / static_cast<double>(data.size());
  result.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  return result;
}

std::vector<EpochStats> fit_classifier(nn::Module& model, const data::Dataset& train, const data::Dataset& test,
                                       const Config& config, const Callbacks& callbacks) {
  data::DataLoader loader(train, config.batch_size, /*shuffle=*/true, config.seed);
  const int64_t total_steps = config.epochs * loader.batches_per_epoch();
  optim::AdamW optimizer(model.parameters(), {.lr = config.lr, .weight_decay = config.weight_decay});
  std::vector<EpochStats> history;
  int64_t step = 0;
  util::Timer timer;
  model.train();

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    util::ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(config.epochs),
                          loader.batches_per_epoch(),
                          config.progress ? util::ProgressBar::Mode::automatic : util::ProgressBar::Mode::never);
    loader.start_epoch();
    data::Batch batch;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    // [loop]
    while (loader.next(batch)) {
      optimizer.set_lr(optim::cosine_lr(step, total_steps, config.lr));
      const Tensor logits = model(batch.x);                // forward: (B, features) -> (B, classes)
      const Tensor loss = cross_entropy(logits, batch.y);  // mean over the batch
      check_finite(loss, step + 1);                        // stop on NaN/inf, naming the step
      optimizer.zero_grad();
      loss.backward();                                     // fills every parameter's grad()
      optimizer.step();                                    // w -= lr * adam(grad)
      ++step;
      // [loop]
      const std::vector<int> predicted = argmax(logits);
      for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == batch.y[i];
      seen += static_cast<int64_t>(batch.y.size());
      loss_sum += loss.item() * static_cast<double>(batch.y.size());
      bar.update(step - (epoch - 1) * loader.batches_per_epoch(), loss.item());
      if (callbacks.on_step && (step % config.log_every == 0 || step == 1))
        callbacks.on_step({step, loss.item(), optimizer.lr()});
    }
    bar.finish();
    const Evaluation eval = evaluate_classifier(model, test);
    const EpochStats stats{epoch,     step,     loss_sum / static_cast<double>(seen),
                           static_cast<double>(correct) / static_cast<double>(seen),
                           eval.loss, eval.accuracy, optimizer.lr(), timer.seconds()};
    history.push_back(stats);
    if (callbacks.on_epoch) callbacks.on_epoch(stats);
  }
  return history;
}

Json to_json(const StepLog& log) {
  Json r = Json::object();
  r["step"] = log.step;
  r["loss"] = log.loss;
  r["lr"] = log.lr;
  return r;
}

Json to_json(const EpochStats& e) {
  Json r = Json::object();
  r["epoch"] = e.epoch;
  r["step"] = e.step;
  r["train_loss"] = e.train_loss;
  r["train_accuracy"] = e.train_accuracy;
  r["test_loss"] = e.test_loss;
  r["test_accuracy"] = e.test_accuracy;
  r["lr"] = e.lr;
  r["seconds"] = e.seconds;
  return r;
}

void add_evaluation(Json& summary, const Evaluation& eval, std::span<const char* const> class_names) {
  summary["test_accuracy"] = eval.accuracy;
  summary["test_loss"] = eval.loss;
  Json per_class = Json::object();
  Json confusion = Json::array();
  for (size_t c = 0; c < eval.confusion.size(); ++c) {
    int64_t total = 0;
    Json row = Json::array();
    for (int64_t n : eval.confusion[c]) {
      total += n;
      row.push_back(n);
    }
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    per_class[name] = total ? static_cast<double>(eval.confusion[c][c]) / static_cast<double>(total) : 0.0;
    confusion.push_back(row);
  }
  summary["per_class_accuracy"] = per_class;
  summary["confusion"] = confusion;
}

std::string format_epoch(const EpochStats& e) {
  char line[160];
  std::snprintf(line, sizeof line, "epoch %2d  train loss %.4f  acc %.4f   test loss %.4f  acc %.4f   %.1fs", e.epoch,
                e.train_loss, e.train_accuracy, e.test_loss, e.test_accuracy, e.seconds);
  return line;
}

Run fit_and_log(nn::Module& model, const data::Dataset& train, const data::Dataset& test,
                const ProgramOptions& options) {
  util::MetricsWriter metrics(options.out_dir + "/metrics.jsonl");
  util::Timer timer;
  Run run;
  run.history = fit_classifier(model, train, test, options.config,
                               {.on_step = [&](const StepLog& s) { metrics.write(to_json(s)); },
                                .on_epoch =
                                    [&](const EpochStats& e) {
                                      metrics.write(to_json(e));
                                      std::cout << format_epoch(e) << std::endl;
                                    }});
  run.train_seconds = timer.seconds();
  return run;
}

Json summarize(const std::string& chapter, const ProgramOptions& options, const Run& run, const Evaluation& eval,
               std::span<const char* const> class_names, int64_t train_examples, int64_t parameters) {
  Json summary = Json::object();
  summary["chapter"] = chapter;
  add_evaluation(summary, eval, class_names);
  summary["train_accuracy"] = run.history.empty() ? 0.0 : run.history.back().train_accuracy;
  summary["train_seconds"] = run.train_seconds;
  summary["epochs"] = options.config.epochs;
  summary["batch_size"] = options.config.batch_size;
  summary["lr"] = options.config.lr;
  summary["seed"] = options.seed;
  summary["threads"] = options.threads;
  summary["train_examples"] = train_examples;
  summary["parameters"] = parameters;
  summary["build"] = util::build_info();
  return summary;
}

void add_program_flags(util::ArgParser& args, ProgramOptions& o, int full_epochs) {
  args.add_option("--epochs", &o.config.epochs, "passes over the training set");
  args.add_option("--batch-size", &o.config.batch_size, "examples per optimisation step");
  args.add_option("--lr", &o.config.lr, "initial learning rate of Adam (cosine-annealed to 0)");
  args.add_option("--seed", &o.seed, "seed of initialisation and shuffling");
  args.add_option("--threads", &o.threads, "threads for matrix products");
  args.add_option("--data", &o.data_dir, "folder with the data set's files");
  args.add_option("--out", &o.out_dir, "folder for summary.json, metrics.jsonl and the weights");
  args.add_option("--limit", &o.limit, "train on the first N examples only (-1: all)");
  args.add_flag("--full", &o.full, "train longer for the best accuracy (" + std::to_string(full_epochs) + " epochs)");
}

void apply_program_flags(const util::ArgParser& args, ProgramOptions& o, int full_epochs) {
  if (o.full) o.config.epochs = full_epochs;
  if (o.config.epochs <= 0 || o.config.batch_size <= 0 || o.threads <= 0 || !(o.config.lr > 0) || o.seed < 0 ||
      o.limit == 0 || o.limit < -1) {
    std::cerr << "error: --epochs, --batch-size, --threads and --lr must be positive, --seed not negative, "
                 "--limit positive or -1\n\n"
              << args.usage();
    std::exit(2);
  }
  o.config.seed = static_cast<uint64_t>(o.seed);
  set_num_threads(o.threads);
  manual_seed(o.config.seed);
}

}  // namespace dl::train
