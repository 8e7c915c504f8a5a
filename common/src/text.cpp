// Fortune files, UTF-8 and a character vocabulary.
#include "dl/text.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "dl/io.hpp"
#include "dl/tensor.hpp"

namespace dl::data {

std::string strip_ansi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == ';')) ++j;
      if (j < text.size() && text[j] == 'm') {
        i = j;  // skip the whole sequence
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

namespace {

// "《静夜思》" or "题目:《静夜思》" -> "静夜思"; anything else -> "".
std::string poem_title(const std::string& line) {
  const size_t open = line.find("《"), close = line.rfind("》");
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return line.substr(open + std::string("《").size(), close - open - std::string("《").size());
}

// "作者：李白" or "作者:李白" -> "李白"; anything else -> "".
std::string poem_author(const std::string& line) {
  const std::string prefix = "作者";
  if (!line.starts_with(prefix)) return "";
  std::string rest = line.substr(prefix.size());
  for (const std::string colon : {"：", ":"})
    if (rest.starts_with(colon)) return rest.substr(colon.size());
  return rest;
}

}  // namespace

std::vector<TextEntry> read_fortunes(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw FileError(path + ": cannot open the fortune file; the Debian package fortunes-zh provides tang300, song100 "
                           "and chinese in " + std::string(kFortunesDir) + " (install it with ./book deps), or pass --data DIR");
  const std::string text = strip_ansi(read_file(path, "a fortune file"));
  decode_utf8(text, path);  // reject invalid UTF-8 up front, with its offset

  std::vector<TextEntry> entries;
  std::vector<std::string> lines;
  const auto finish_entry = [&] {
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    size_t first = 0;
    while (first < lines.size() && lines[first].empty()) ++first;
    if (first == lines.size()) {
      lines.clear();
      return;
    }
    TextEntry e;
    if (lines.size() - first >= 2 && !poem_title(lines[first]).empty() && !poem_author(lines[first + 1]).empty()) {
      e.title = poem_title(lines[first]);
      e.author = poem_author(lines[first + 1]);
      first += 2;
    }
    for (size_t k = first; k < lines.size(); ++k) e.body += lines[k] + (k + 1 < lines.size() ? "\n" : "");
    entries.push_back(std::move(e));
    lines.clear();
  };
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "%")
      finish_entry();
    else
      lines.push_back(line);
  }
  finish_entry();
  if (entries.empty()) throw FileError(path + ": no entries (expected text separated by lines holding only %)");
  return entries;
}

CharVocab::CharVocab(std::u32string_view text, int64_t min_count) {
  std::unordered_map<char32_t, int64_t> count;
  for (char32_t c : text) ++count[c];
  std::vector<std::pair<char32_t, int64_t>> kept;
  int64_t unknown = 0;
  for (const auto& [c, n] : count) {
    if (n >= min_count) kept.emplace_back(c, n);
    else unknown += n;
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  chars_.push_back(U'\uFFFD');
  counts_.push_back(unknown);
  for (const auto& [c, n] : kept) {
    ids_[c] = static_cast<int>(chars_.size());
    chars_.push_back(c);
    counts_.push_back(n);
  }
}

CharVocab CharVocab::from_characters(std::u32string_view characters) {
  CharVocab vocab(U"");
  for (char32_t c : characters) {
    if (!vocab.ids_.emplace(c, static_cast<int>(vocab.chars_.size())).second)
      throw Error("CharVocab: character '" + encode_utf8(std::u32string(1, c)) + "' is listed twice");
    vocab.chars_.push_back(c);
    vocab.counts_.push_back(0);
  }
  return vocab;
}

int CharVocab::id(char32_t c) const {
  const auto it = ids_.find(c);
  return it == ids_.end() ? kUnknown : it->second;
}

char32_t CharVocab::character(int id) const {
  if (id < 0 || id >= size()) throw Error("CharVocab: id " + std::to_string(id) + " outside [0, " + std::to_string(size()) + ")");
  return chars_[static_cast<size_t>(id)];
}

std::vector<int> CharVocab::encode(std::u32string_view text) const {
  std::vector<int> ids;
  ids.reserve(text.size());
  for (char32_t c : text) ids.push_back(id(c));
  return ids;
}

std::string CharVocab::decode(const std::vector<int>& ids) const {
  std::u32string text;
  for (int i : ids) text += character(i);
  return encode_utf8(text);
}

std::string CharVocab::characters() const {
  return encode_utf8(std::u32string(chars_.begin() + 1, chars_.end()));
}

void split_entries(const std::vector<TextEntry>& entries, double validation_fraction, uint64_t seed,
                   std::vector<TextEntry>& train, std::vector<TextEntry>& validation) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
    throw Error("split_entries: validation_fraction must be in [0, 1), got " + std::to_string(validation_fraction));
  std::vector<int64_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0);
  Generator(seed).shuffle(order);
  const auto n_val = static_cast<size_t>(validation_fraction * static_cast<double>(entries.size()) + 0.5);
  train.clear();
  validation.clear();
  for (size_t k = 0; k < order.size(); ++k) (k < n_val ? validation : train).push_back(entries[static_cast<size_t>(order[k])]);
}

}  // namespace dl::data
