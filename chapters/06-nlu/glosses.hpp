// Chapter 06: the task. WordNet's noun glosses, each labelled with its synset's supersense
// (the lexicographer file: noun.animal, noun.artifact, ...), split by synset exactly as
// chapter 04 split them, and cut into bert-base-uncased's word pieces.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <dl/random.hpp>
#include <dl/tokenize.hpp>

namespace ch06 {

/// The 26 noun supersenses, WordNet's lexicographer files 03 to 28.
inline constexpr int kClasses = 26;
/// Their names, "noun.Tops" to "noun.time", in label order (label = lexicographer file - 3).
const std::array<const char*, kClasses>& supersense_names();
/// The label of a supersense name ("noun.animal" -> 2), or -1.
int supersense_label(const std::string& name);

/// One labelled gloss.
struct Example {
  int64_t offset = 0;       ///< the synset's offset in data.noun (its id, and what decides its split)
  int label = 0;            ///< the supersense, 0 .. kClasses-1
  std::string lemma;        ///< the synset's first lemma, for showing examples ("dog")
  std::string gloss;        ///< the text the models read
  std::vector<int> pieces;  ///< the gloss in word pieces, without [CLS] and [SEP]
};

/// The labelled glosses of the three parts of chapter 04's split.
struct Glosses {
  std::vector<Example> train, validation, test;
};

/// Reads data.noun in `dir` (chapter 04's reader, with its errors naming wordnet-base and
/// --data), labels each gloss with its supersense, splits by `ch04::synset_split` and cuts
/// each gloss into word pieces with `wp`. Throws dl::FileError for a lexicographer file
/// that is not a noun's (outside 3..28).
Glosses read_glosses(const std::string& dir, const dl::tokenize::WordPiece& wp);

/// Labels as a vector, in the order of `examples`.
std::vector<int> labels_of(std::span<const Example> examples);

/// A subset for a learning curve: `n` examples of `train` drawn without replacement with
/// `seed` (all of them, shuffled, when n >= train.size()).
std::vector<Example> sample(const std::vector<Example>& train, int64_t n, uint64_t seed);

/// One pass of training batches of glosses of about the same length, as lists of indices into
/// `lengths`: the indices shuffled, sorted by length within windows of `window` batches, cut
/// into batches of `batch`, and the batches shuffled. Padding (computed, then thrown away)
/// shrinks, while which glosses meet in a batch still changes every pass. A last, shorter
/// batch is kept when `keep_partial`, else its glosses wait for the next pass.
std::vector<std::vector<int64_t>> length_batches(std::span<const size_t> lengths, int64_t batch, int64_t window,
                                                 bool keep_partial, dl::Generator& gen);

}  // namespace ch06
