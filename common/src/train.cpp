// The classification training loop: train, evaluate, report through callbacks.
#include "dl/train.hpp"

#include <chrono>

#include "dl/optim.hpp"

namespace dl::train {

Evaluation evaluate_classifier(nn::Layer& model, const data::Dataset& data, int64_t batch_size) {
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

std::vector<EpochStats> fit_classifier(nn::Layer& model, const data::Dataset& train, const data::Dataset& test,
                                       const Config& config, const Callbacks& callbacks) {
  if (config.epochs < 1 || config.batch_size < 1 || config.log_every < 1)
    throw Error("fit_classifier: epochs, batch_size and log_every must be at least 1, got " +
                std::to_string(config.epochs) + ", " + std::to_string(config.batch_size) + " and " +
                std::to_string(config.log_every));
  data::DataLoader loader(train, config.batch_size, /*shuffle=*/true, config.seed);
  const int64_t total_steps = config.epochs * loader.batches_per_epoch();
  optim::AdamW optimizer(model.parameters(), {.lr = config.lr, .weight_decay = config.weight_decay});
  std::vector<EpochStats> history;
  int64_t step = 0;
  const auto start = std::chrono::steady_clock::now();
  model.train();

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
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
      if (callbacks.on_batch)
        callbacks.on_batch({epoch, step - (epoch - 1) * loader.batches_per_epoch(), loader.batches_per_epoch(),
                            loss.item()});
      if (callbacks.on_step && (step % config.log_every == 0 || step == 1))
        callbacks.on_step({step, loss.item(), optimizer.lr()});
    }
    const Evaluation eval = evaluate_classifier(model, test);
    const EpochStats stats{epoch,     step,     loss_sum / static_cast<double>(seen),
                           static_cast<double>(correct) / static_cast<double>(seen),
                           eval.loss, eval.accuracy, optimizer.lr(),
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    history.push_back(stats);
    if (callbacks.on_epoch) callbacks.on_epoch(stats);
  }
  return history;
}

}  // namespace dl::train
