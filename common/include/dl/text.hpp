/// @file text.hpp
/// @brief Text corpora for the language chapters: the fortunes-zh poems, UTF-8
/// decoding into code points, a character vocabulary, and a split by entry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dl/utf8.hpp"

namespace dl::data {

/// Where the Debian packages `fortunes-zh` (tang300, song100, chinese) and `fortunes` install their files.
inline constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

/// One entry of a fortune file. Poems have a title and an author; other entries only a body.
struct TextEntry {
  std::string title;   ///< e.g. "静夜思" (without 《》), or empty
  std::string author;  ///< e.g. "李白", or empty
  std::string body;    ///< the text, lines separated by '\n', colour codes removed
};

/// `text` without terminal colour codes (ESC [ ... m).
std::string strip_ansi(std::string_view text);

/// Reads a fortune file: entries separated by lines holding only '%'. Colour codes are
/// stripped; a first line 《title》 (optionally after "题目:") and a second line "作者：name"
/// become the title and author. Throws FileError naming the path when the file is
/// missing (saying which Debian package provides it), holds invalid UTF-8 (with the
/// byte offset) or has no entries.
std::vector<TextEntry> read_fortunes(const std::string& path);

/// A character vocabulary: id 0 is `<unk>`, the others are the characters of the
/// training text ordered by falling frequency (ties by code point), so ids are
/// the same on every run.
class CharVocab {
 public:
  /// Every character of `text` seen at least `min_count` times gets an id.
  explicit CharVocab(std::u32string_view text, int64_t min_count = 1);
  /// The vocabulary whose ids 1, 2, ... are `characters` in order (as `characters()`
  /// returns them, e.g. from a checkpoint); counts are zero. Throws for a repeated character.
  static CharVocab from_characters(std::u32string_view characters);
  /// Number of ids, `<unk>` included.
  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  /// The id of `c`, or kUnknown.
  int id(char32_t c) const;
  /// The character of `id` (U+FFFD for `<unk>`).
  char32_t character(int id) const;
  /// Ids of every character of `text`.
  std::vector<int> encode(std::u32string_view text) const;
  /// UTF-8 text of `ids`.
  std::string decode(const std::vector<int>& ids) const;
  /// Every character with an id, in id order from id 1 (after `<unk>`), as UTF-8.
  std::string characters() const;
  /// Count of each id in the text the vocabulary was built from (for a unigram baseline).
  const std::vector<int64_t>& counts() const { return counts_; }
  static constexpr int kUnknown = 0;  ///< the id of characters outside the vocabulary

 private:
  std::vector<char32_t> chars_;
  std::vector<int64_t> counts_;
  std::unordered_map<char32_t, int> ids_;
};

/// Splits entries into training and validation sets, whole entries at a time, by
/// a seeded shuffle: the same seed always gives the same split.
void split_entries(const std::vector<TextEntry>& entries, double validation_fraction, uint64_t seed,
                   std::vector<TextEntry>& train, std::vector<TextEntry>& validation);

}  // namespace dl::data
