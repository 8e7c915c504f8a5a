/// @file train.hpp
/// @brief The supervised training loop shared by the classification chapters: it
/// trains and evaluates, and reports through callbacks (no flags, files or terminal:
/// the programs' `dl::app::fit_and_log` adds those).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dl/data.hpp"
#include "dl/nn.hpp"

namespace dl::train {

/// Settings of `fit_classifier` (the programs' flags).
struct Config {
  int epochs = 10;          ///< passes over the training set
  int64_t batch_size = 128; ///< examples per step
  float lr = 1e-3f;         ///< AdamW's initial step size, cosine-annealed to 0
  float weight_decay = 0;   ///< AdamW's decoupled decay (0: plain Adam)
  uint64_t seed = 0;        ///< shuffling seed
  int log_every = 50;       ///< steps between StepLog callbacks (and the first step)
};

/// Loss, accuracy and confusion matrix of a classifier on a data set.
struct Evaluation {
  double loss = 0;                              ///< mean cross-entropy
  double accuracy = 0;                          ///< fraction classified correctly
  std::vector<std::vector<int64_t>> confusion;  ///< [true class][predicted class] counts
  std::vector<int> predictions;                 ///< predicted class of each example, in order
};

/// What one epoch achieved.
struct EpochStats {
  int epoch = 0;                              ///< 1-based epoch number
  int64_t step = 0;                           ///< optimisation steps so far
  double train_loss = 0;                      ///< running mean of the loss over the epoch
  double train_accuracy = 0;                  ///< running accuracy over the epoch
  double test_loss = 0;                       ///< loss on the held-out set after the epoch
  double test_accuracy = 0;                   ///< accuracy on the held-out set after the epoch
  double lr = 0;                              ///< learning rate at the end of the epoch
  double seconds = 0;                         ///< wall time since training started
};

/// One logged optimisation step.
struct StepLog {
  int64_t step;  ///< 1-based step number
  double loss;   ///< the batch's loss
  double lr;     ///< the learning rate used
};

/// Where training is within an epoch, reported after every batch (for a progress bar).
struct BatchProgress {
  int epoch;      ///< 1-based epoch number
  int64_t batch;  ///< 1-based batch number within the epoch
  int64_t batches;///< batches per epoch
  double loss;    ///< the batch's loss
};

/// Called during training; any may be empty.
struct Callbacks {
  std::function<void(const BatchProgress&)> on_batch; ///< after every batch
  std::function<void(const StepLog&)> on_step;     ///< every `log_every` steps
  std::function<void(const EpochStats&)> on_epoch; ///< after each epoch's evaluation
};

/// Trains `model` (input rows of `train.images` -> class scores) with cross-entropy,
/// AdamW and a cosine schedule, evaluating on `test` after every epoch.
/// Throws NonFiniteError, naming the step, if the loss becomes NaN or infinite.
std::vector<EpochStats> fit_classifier(nn::Layer& model, const data::Dataset& train, const data::Dataset& test,
                                       const Config& config, const Callbacks& callbacks = {});

/// Mean loss, accuracy and confusion matrix of `model` on `data` (evaluation mode, no graph).
Evaluation evaluate_classifier(nn::Layer& model, const data::Dataset& data, int64_t batch_size = 1000);

}  // namespace dl::train
