// Chapter 04: reading WordNet's data files and the English fortunes into sentences of words.
#include "wordnet.hpp"

#include <algorithm>
#include <charconv>
#include <dl/error.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ch04 {

namespace fs = std::filesystem;

const std::vector<std::string>& english_fortune_files() {
  static const std::vector<std::string> files = {
      "art",        "computers",   "cookie",     "debian",     "definitions", "disclaimer", "drugs",
      "education",  "ethnic",      "food",       "fortunes",   "goedel",      "humorists",  "kids",
      "knghtbrd",   "law",         "linux",      "linuxcookie", "literature", "love",       "magic",
      "medicine",   "men-women",   "miscellaneous", "news",    "paradoxum",   "people",     "perl",
      "pets",       "platitudes",  "politics",   "pratchett",  "riddles",     "science",    "songs-poems",
      "sports",     "startrek",    "tao",        "translate-me", "wisdom",    "work",       "zippy"};
  return files;
}

// [split]
Split synset_split(int64_t offset) {
  // splitmix64's finaliser: every bit of the offset moves every bit of the hash.
  uint64_t z = static_cast<uint64_t>(offset) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const uint64_t bucket = z % 10;
  return bucket < 8 ? Split::train : bucket == 8 ? Split::validation : Split::test;
}
// [split]

const char* split_name(Split split) {
  switch (split) {
    case Split::train: return "train";
    case Split::validation: return "validation";
    case Split::test: return "test";
  }
  return "?";
}

namespace {

[[noreturn]] void bad_line(const std::string& path, int64_t line, const std::string& what) {
  throw dl::FileError(path + ":" + std::to_string(line) + ": " + what +
                      " (expected a WordNet 3.0 data line: offset lex_filenum ss_type w_cnt word lex_id ... | gloss)");
}

// The next space-separated field of `line` from `pos`.
std::string_view next_field(std::string_view line, size_t& pos) {
  while (pos < line.size() && line[pos] == ' ') ++pos;
  const size_t start = pos;
  while (pos < line.size() && line[pos] != ' ') ++pos;
  return line.substr(start, pos - start);
}

template <class T>
bool parse_number(std::string_view field, T& value, int base = 10) {
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value, base);
  return ec == std::errc() && end == field.data() + field.size() && !field.empty();
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::vector<Synset> read_wordnet_file(const std::string& path, char pos) {
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path)) throw dl::FileError(path + ": cannot open the WordNet data file");
  std::vector<Synset> synsets;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == ' ') continue;  // the licence at the top starts with two spaces
    const std::string_view view(line);
    const size_t bar = view.find(" | ");
    if (bar == std::string_view::npos) bad_line(path, number, "no ' | ' before the gloss");
    const std::string_view head = view.substr(0, bar);
    size_t p = 0;
    Synset s;
    s.pos = pos;
    int word_count = 0;
    if (!parse_number(next_field(head, p), s.offset)) bad_line(path, number, "the offset is not a number");
    if (!parse_number(next_field(head, p), s.lex_filenum)) bad_line(path, number, "the lexicographer file is not a number");
    const std::string_view type = next_field(head, p);  // n, v, a, s (adjective satellite) or r
    if (type.size() != 1 || std::string_view("nvasr").find(type[0]) == std::string_view::npos)
      bad_line(path, number, "unknown synset type '" + std::string(type) + "'");
    if (!parse_number(next_field(head, p), word_count, 16) || word_count < 1)
      bad_line(path, number, "the word count is not a positive hexadecimal number");
    for (int w = 0; w < word_count; ++w) {
      std::string_view word = next_field(head, p);
      if (word.empty() || next_field(head, p).empty()) bad_line(path, number, "fewer words than the word count says");
      if (const size_t paren = word.find('('); paren != std::string_view::npos && word.back() == ')')
        word = word.substr(0, paren);  // adjectives: "galore(ip)" -> "galore"
      s.lemmas.emplace_back(word);
    }
    s.gloss = trim(view.substr(bar + 3));
    synsets.push_back(std::move(s));
  }
  if (synsets.empty()) throw dl::FileError(path + ": no synsets (expected a WordNet 3.0 data file)");
  return synsets;
}

std::vector<Synset> read_wordnet(const std::string& dir) {
  const std::pair<const char*, char> files[] = {{"data.noun", 'n'}, {"data.verb", 'v'}, {"data.adj", 'a'}, {"data.adv", 'r'}};
  for (const auto& [name, pos] : files) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(dir) / name, ec)) {
      const std::string where = fs::is_directory(dir, ec) ? "" : " (the folder does not exist)";
      throw dl::FileError("WordNet not found: expected data.noun, data.verb, data.adj and data.adv in " + dir + where +
                          ". The Debian package wordnet-base provides them in " + kWordNetDir +
                          ": install it with `./book deps` or `sudo apt-get install wordnet-base`, or pass --data DIR "
                          "to point to a folder that holds them.");
    }
  }
  std::vector<Synset> all;
  for (const auto& [name, pos] : files) {
    std::vector<Synset> part = read_wordnet_file((fs::path(dir) / name).string(), pos);
    all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return all;
}

// [tokenize-impl]
std::vector<std::string> tokenize_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  const auto finish = [&] {
    // Apostrophes at either end are quotation marks, not part of the word.
    const size_t b = word.find_first_not_of('\'');
    if (b != std::string::npos) words.push_back(word.substr(b, word.find_last_not_of('\'') - b + 1));
    word.clear();
  };
  for (const char c : text) {
    if ((c >= 'a' && c <= 'z') || c == '\'') word += c;
    else if (c >= 'A' && c <= 'Z') word += static_cast<char>(c - 'A' + 'a');
    else if (!word.empty()) finish();
  }
  if (!word.empty()) finish();
  return words;
}
// [tokenize-impl]

std::vector<std::string> read_fortune_entries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path))
    throw dl::FileError(path + ": cannot open the fortune file; the Debian package fortunes provides the English "
                               "quotes in " + std::string(kFortunesDir) +
                               " (install it with ./book deps), or pass --fortunes DIR, or --corpus wordnet to do without");
  std::vector<std::string> entries;
  std::string line, entry;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "%") {
      if (!entry.empty()) entries.push_back(std::move(entry));
      entry.clear();
    } else {
      entry += line;
      entry += '\n';
    }
  }
  if (!entry.empty()) entries.push_back(std::move(entry));
  return entries;
}

std::vector<std::string> read_english_fortunes(const std::string& dir) {
  std::vector<std::string> entries;
  for (const std::string& name : english_fortune_files()) {
    std::vector<std::string> part = read_fortune_entries((fs::path(dir) / name).string());
    entries.insert(entries.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return entries;
}

TextCorpus build_corpus(const std::vector<Synset>& synsets, const std::vector<std::string>& fortunes) {
  TextCorpus corpus;
  const auto add = [&](std::string_view text) {
    std::vector<std::string> words = tokenize_words(text);
    if (words.empty()) return false;
    corpus.words += static_cast<int64_t>(words.size());
    corpus.sentences.push_back(std::move(words));
    return true;
  };
  for (const Synset& s : synsets) {
    if (synset_split(s.offset) != Split::train) {
      ++corpus.held_out_glosses;
      continue;
    }
    corpus.glosses += add(s.gloss);
  }
  for (const std::string& entry : fortunes) corpus.fortunes += add(entry);
  return corpus;
}

std::string lemma_word(const std::string& lemma) {
  const std::vector<std::string> words = tokenize_words(lemma);
  if (words.size() != 1) return "";
  std::string lower = lemma;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
  return words[0] == lower ? words[0] : "";  // "o'clock" is a word; "'hood" (apostrophe cut) or "a.m." is not
}

std::vector<PairSplits> all_synonym_pairs(const std::vector<Synset>& synsets) {
  std::map<std::pair<std::string, std::string>, PairSplits> pairs;
  for (const Synset& s : synsets) {
    std::vector<std::string> words;
    for (const std::string& lemma : s.lemmas)
      if (std::string w = lemma_word(lemma); !w.empty() && std::find(words.begin(), words.end(), w) == words.end())
        words.push_back(std::move(w));
    const Split split = synset_split(s.offset);
    for (size_t i = 0; i < words.size(); ++i)
      for (size_t j = i + 1; j < words.size(); ++j) {
        auto key = std::minmax(words[i], words[j]);
        PairSplits& p = pairs[{key.first, key.second}];
        p.pair = {key.first, key.second};
        (split == Split::train ? p.train : split == Split::validation ? p.validation : p.test) = true;
      }
  }
  std::vector<PairSplits> out;
  out.reserve(pairs.size());
  for (auto& [key, p] : pairs) out.push_back(std::move(p));
  return out;
}

}  // namespace ch04
