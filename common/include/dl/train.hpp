/// @file train.hpp
/// @brief The supervised training loop shared by the classification chapters,
/// and the flags and result files every chapter program has in common.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dl/data.hpp"
#include "dl/json.hpp"
#include "dl/nn.hpp"
#include "dl/util.hpp"

namespace dl::train {

/// Settings of `fit_classifier` (the programs' flags).
struct Config {
  int epochs = 10;          ///< passes over the training set
  int64_t batch_size = 128; ///< examples per step
  float lr = 1e-3f;         ///< AdamW's initial step size, cosine-annealed to 0
  float weight_decay = 0;   ///< AdamW's decoupled decay (0: plain Adam)
  uint64_t seed = 0;        ///< shuffling seed
  bool progress = true;     ///< progress bar on stderr (only drawn on a terminal)
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

/// Called during training; either may be empty.
struct Callbacks {
  std::function<void(const StepLog&)> on_step;     ///< every `log_every` steps
  std::function<void(const EpochStats&)> on_epoch; ///< after each epoch's evaluation
};

/// Trains `model` (input rows of `train.images` -> class scores) with cross-entropy,
/// AdamW and a cosine schedule, evaluating on `test` after every epoch.
/// Throws NonFiniteError, naming the step, if the loss becomes NaN or infinite.
std::vector<EpochStats> fit_classifier(nn::Module& model, const data::Dataset& train, const data::Dataset& test,
                                       const Config& config, const Callbacks& callbacks = {});

/// Mean loss, accuracy and confusion matrix of `model` on `data` (evaluation mode, no graph).
Evaluation evaluate_classifier(nn::Module& model, const data::Dataset& data, int64_t batch_size = 1000);

/// @name Result files
/// @{

/// A metrics.jsonl record of a step: {"step", "loss", "lr"}.
Json to_json(const StepLog& log);
/// A metrics.jsonl record of an epoch: {"epoch", "step", "train_loss", ...}.
Json to_json(const EpochStats& stats);
/// Adds "test_accuracy", "test_loss", "per_class_accuracy" and "confusion" to `summary`.
void add_evaluation(Json& summary, const Evaluation& eval, std::span<const char* const> class_names);
/// The one-line epoch report the programs print on stdout.
std::string format_epoch(const EpochStats& stats);
/// @}

/// The flags every chapter program shares, with their values.
struct ProgramOptions {
  Config config;            ///< training settings
  std::string data_dir;     ///< --data
  std::string out_dir;      ///< --out
  int threads = 1;          ///< --threads
  int64_t seed = 0;         ///< --seed (copied into config.seed after parsing)
  int64_t limit = -1;       ///< --limit: first N training examples only
  bool full = false;        ///< --full
};

/// Registers --epochs --batch-size --lr --seed --threads --data --out --limit --full on `args`.
/// `full_epochs` is what --full means, shown in the help.
void add_program_flags(util::ArgParser& args, ProgramOptions& options, int full_epochs);

/// A finished training run of a chapter program.
struct Run {
  std::vector<EpochStats> history;  ///< one entry per epoch
  double train_seconds = 0;         ///< wall time of training, evaluation after each epoch included
};

/// `fit_classifier` as the chapter programs run it: every logged step and every epoch
/// go to `<out_dir>/metrics.jsonl`, and each epoch is printed on stdout.
Run fit_and_log(nn::Module& model, const data::Dataset& train, const data::Dataset& test,
                const ProgramOptions& options);

/// The summary.json every classification chapter writes: chapter, final evaluation
/// (accuracy, loss, per-class accuracy, confusion), time, settings and sizes.
Json summarize(const std::string& chapter, const ProgramOptions& options, const Run& run, const Evaluation& eval,
               std::span<const char* const> class_names, int64_t train_examples, int64_t parameters);

/// After `args.parse`: checks the values (exit 2 with the usage when one is out of
/// range), applies --full and --seed, and sets the thread count and the global seed.
void apply_program_flags(const util::ArgParser& args, ProgramOptions& options, int full_epochs);

}  // namespace dl::train
