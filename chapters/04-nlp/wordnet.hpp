// Chapter 04: WordNet and the English fortunes as a corpus of words, the held-out split of
// synsets that later chapters test on, and WordNet's synonyms as the test of embeddings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ch04 {

/// Where the Debian package `wordnet-base` installs WordNet 3.0 (data.noun, index.noun, ...).
inline constexpr const char* kWordNetDir = "/usr/share/wordnet";
/// Where the Debian package `fortunes` (with `fortunes-min`) installs the English quotes.
inline constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

/// The English fortune files read into the corpus: every file of `fortunes` and
/// `fortunes-min` except `ascii-art` (pictures, not text).
const std::vector<std::string>& english_fortune_files();

/// Which part of the data a synset belongs to.
enum class Split { train, validation, test };

/// The part a synset belongs to, from its offset alone (its byte position in its data file):
/// splitmix64(offset) mod 10 is 0-7 for train, 8 for validation, 9 for test. The same offset
/// always lands in the same part, on every machine, whatever else is read, so chapter 06 can
/// classify the glosses of the test synsets that chapter 04's embeddings never saw.
Split synset_split(int64_t offset);
/// "train", "validation" or "test".
const char* split_name(Split split);

/// One synset of WordNet: a set of synonyms with a gloss.
struct Synset {
  int64_t offset = 0;               ///< byte offset in its data file, its id within a part of speech
  char pos = 'n';                   ///< the file it comes from: n(oun), v(erb), a(djective), r (adverb)
  int lex_filenum = 0;              ///< lexicographer file (noun.animal is 5, ...): chapter 06's label
  std::vector<std::string> lemmas;  ///< the synonyms as written, e.g. "dog", "domestic_dog", "Canis_familiaris"
  std::string gloss;                ///< the text after '|': definitions, then quoted examples
};

/// Reads the synsets of data.noun, data.verb, data.adj and data.adv in `dir`, in that
/// order. Adjective markers such as "(p)" are cut from the lemmas. Throws dl::FileError
/// naming the Debian package `wordnet-base` and the flag `--data` when a file is missing,
/// and the path and line for a line that is not a synset.
std::vector<Synset> read_wordnet(const std::string& dir);

/// The synsets of one data file (`pos` is n, v, a or r), as `read_wordnet` reads them.
std::vector<Synset> read_wordnet_file(const std::string& path, char pos);

// [tokenize]
/// The words of `text`, lower-cased: maximal runs of ASCII letters and apostrophes,
/// with apostrophes at either end dropped ("'Tis the dogs' day" -> tis, the, dogs, day;
/// "don't" stays one word). Everything else (digits, hyphens, other bytes) separates
/// words, so "well-known" is two words and "3-D" is "d".
std::vector<std::string> tokenize_words(std::string_view text);
// [tokenize]

/// The entries of a fortune file: text between lines that hold only '%'. Throws
/// dl::FileError naming the Debian package `fortunes` and `--fortunes` when it is missing.
std::vector<std::string> read_fortune_entries(const std::string& path);
/// The entries of every file of `english_fortune_files()` in `dir`, file after file.
std::vector<std::string> read_english_fortunes(const std::string& dir);

/// The training text as sentences of words.
struct TextCorpus {
  std::vector<std::vector<std::string>> sentences;  ///< one per gloss or fortune entry, empty ones dropped
  int64_t glosses = 0;           ///< glosses of train synsets in `sentences`
  int64_t held_out_glosses = 0;  ///< glosses of validation and test synsets, left out
  int64_t fortunes = 0;          ///< fortune entries in `sentences`
  int64_t words = 0;             ///< words in `sentences`
};

/// The corpus the embeddings train on: the glosses of the train synsets (of all four parts
/// of speech), then `fortunes`, the entries of fortune files (none for WordNet alone).
/// The glosses of validation and test synsets are never read: chapter 06 classifies them,
/// and the synonyms the embeddings are scored on come from those synsets, so the score
/// on validation pairs (for choosing settings) predicts the score on test pairs.
TextCorpus build_corpus(const std::vector<Synset>& synsets, const std::vector<std::string>& fortunes);

/// Synonym pairs for the evaluation, as word pairs (each pair once, the two words in
/// alphabetical order).
struct SynonymPairs {
  std::vector<std::pair<std::string, std::string>> validation;  ///< to choose settings on
  std::vector<std::pair<std::string, std::string>> test;        ///< to report
};

/// The pairs of distinct lemmas of one synset that are single words (as `tokenize_words`
/// reads them, lower-cased) and for which `keep(word)` is true for both, e.g. the
/// words of the vocabulary. A pair that also shares a train synset is dropped; of the rest,
/// a pair in a test synset is a test pair, otherwise a validation pair. Sorted.
template <class Keep>
SynonymPairs synonym_pairs(const std::vector<Synset>& synsets, Keep keep);

/// The lemma as a word of the corpus: lower-cased, or "" when it is not one word
/// ("domestic_dog", "3-D", "a.k.a.").
std::string lemma_word(const std::string& lemma);

/// `synonym_pairs` without the filter: every candidate pair with the splits it occurs in.
struct PairSplits {
  std::pair<std::string, std::string> pair;     ///< the two words, in alphabetical order
  bool train = false, validation = false, test = false;  ///< the splits of the synsets that hold both
};
/// Every pair of distinct single-word lemmas of a synset, with the splits of the synsets
/// it occurs in, sorted by pair.
std::vector<PairSplits> all_synonym_pairs(const std::vector<Synset>& synsets);

template <class Keep>
SynonymPairs synonym_pairs(const std::vector<Synset>& synsets, Keep keep) {
  SynonymPairs out;
  for (const PairSplits& p : all_synonym_pairs(synsets)) {
    if (p.train || !keep(p.pair.first) || !keep(p.pair.second)) continue;
    (p.test ? out.test : out.validation).push_back(p.pair);
  }
  return out;
}

}  // namespace ch04
