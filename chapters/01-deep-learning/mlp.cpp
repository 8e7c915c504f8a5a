// Chapter 01: the training loop of the MLP. Read it top to bottom: it is the
// loop every later chapter reuses: forward, loss, backward, step.
#include "mlp.hpp"

#include <dl/optim.hpp>
#include <dl/util.hpp>

namespace ch01 {

Evaluation evaluate(MLP& model, const dl::data::Dataset& data, int64_t batch_size) {
  dl::no_grad guard;  // evaluation builds no graph
  model.eval();
  Evaluation result;
  result.confusion.assign(10, std::vector<int64_t>(10, 0));
  dl::data::DataLoader loader(data, batch_size, /*shuffle=*/false, /*seed=*/0);
  loader.start_epoch();
  dl::data::Batch batch;
  double loss_sum = 0;
  int64_t correct = 0;
  while (loader.next(batch)) {
    const dl::Tensor logits = model(batch.x);
    loss_sum += dl::cross_entropy(logits, batch.y).item() * static_cast<double>(batch.y.size());
    const std::vector<int> predicted = dl::argmax(logits);
    for (size_t i = 0; i < predicted.size(); ++i) {
      correct += predicted[i] == batch.y[i];
      ++result.confusion[static_cast<size_t>(batch.y[i])][static_cast<size_t>(predicted[i])];
    }
  }
  model.train();
  result.loss = loss_sum / static_cast<double>(data.size());
  result.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  return result;
}

std::vector<EpochStats> train(MLP& model, const dl::data::Dataset& train, const dl::data::Dataset& test,
                              const Config& config, const std::function<void(const StepLog&)>& on_step,
                              const std::function<void(const EpochStats&)>& on_epoch) {
  dl::data::DataLoader loader(train, config.batch_size, /*shuffle=*/true, config.seed);
  const int64_t total_steps = config.epochs * loader.batches_per_epoch();
  dl::optim::AdamW optimizer(model.parameters(), {.lr = config.lr, .weight_decay = config.weight_decay});
  std::vector<EpochStats> history;
  int64_t step = 0;
  dl::util::Timer timer;

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    dl::util::ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(config.epochs),
                              loader.batches_per_epoch(),
                              config.progress ? dl::util::ProgressBar::Mode::automatic : dl::util::ProgressBar::Mode::never);
    loader.start_epoch();
    dl::data::Batch batch;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    // [loop]
    while (loader.next(batch)) {
      optimizer.set_lr(dl::optim::cosine_lr(step, total_steps, config.lr));
      const dl::Tensor logits = model(batch.x);                // forward: (B,784) -> (B,10)
      const dl::Tensor loss = dl::cross_entropy(logits, batch.y);  // mean over the batch
      dl::check_finite(loss, step + 1);                         // stop on NaN/inf, naming the step
      optimizer.zero_grad();
      loss.backward();                                          // fills every parameter's grad()
      optimizer.step();                                         // w -= lr * adam(grad)
      ++step;
      // [loop]
      const std::vector<int> predicted = dl::argmax(logits);
      for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == batch.y[i];
      seen += static_cast<int64_t>(batch.y.size());
      loss_sum += loss.item() * static_cast<double>(batch.y.size());
      bar.update(step - (epoch - 1) * loader.batches_per_epoch(), loss.item());
      if (on_step && (step % config.log_every == 0 || step == 1)) on_step({step, loss.item(), optimizer.lr()});
    }
    bar.finish();
    const Evaluation eval = evaluate(model, test);
    EpochStats stats{epoch, step, loss_sum / static_cast<double>(seen), static_cast<double>(correct) / static_cast<double>(seen),
                     eval.loss, eval.accuracy, optimizer.lr(), timer.seconds()};
    history.push_back(stats);
    if (on_epoch) on_epoch(stats);
  }
  return history;
}

}  // namespace ch01
