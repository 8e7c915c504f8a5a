/// @file classify.hpp
/// @brief The flags, logging and summary shared by the classification chapters (01, 02)
/// around `dl::train::fit_classifier`.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dl/app/program.hpp"
#include "dl/app/results.hpp"
#include "dl/train.hpp"

namespace dl::app {

/// The training flags of a classification program, with their defaults.
struct ClassifierFlags {
  int epochs = 10;           ///< --epochs: passes over the training set
  int full_epochs = 30;      ///< what --full sets --epochs to
  int64_t batch_size = 128;  ///< --batch-size: examples per optimisation step
  float lr = 1e-3f;          ///< --lr: AdamW's initial step size, cosine-annealed to 0
  int64_t limit = -1;        ///< --limit: train on the first N examples only (-1: all)
  bool full = false;         ///< --full: train for `full_epochs`

  /// Declares --epochs --batch-size --lr --limit --full on `program`.
  void add_to(Program& program);
  /// The training settings after parsing: --full applied, the seed from --seed.
  train::Config config(const CommonFlags& common) const;
};

/// A finished training run of a chapter program.
struct Run {
  std::vector<train::EpochStats> history;  ///< one entry per epoch
  double train_seconds = 0;                ///< wall time of training, evaluation after each epoch included
};

/// `fit_classifier` as the chapter programs run it: a progress bar per epoch on stderr,
/// every logged step and every epoch in `<out_dir>/metrics.jsonl`, each epoch on stdout.
Run fit_and_log(nn::Layer& model, const data::Dataset& train, const data::Dataset& test,
                const train::Config& config, const std::string& out_dir);

/// A metrics.jsonl record of a step: {"step", "loss", "lr"}.
Json to_json(const train::StepLog& log);
/// A metrics.jsonl record of an epoch: {"epoch", "step", "train_loss", ...}.
Json to_json(const train::EpochStats& stats);
/// The one-line epoch report the programs print on stdout.
std::string format_epoch(const train::EpochStats& stats);

/// The summary.json of a classification run (see `make_summary`): the final evaluation
/// (test accuracy and loss, per-class accuracy, confusion), train accuracy and time, and
/// the settings and sizes.
Json summarize(const std::string& chapter, const Program& program, const train::Config& config, const Run& run,
               const train::Evaluation& eval, std::span<const char* const> class_names, int64_t train_examples,
               int64_t parameters);

}  // namespace dl::app
