/// @file tokenize.hpp
/// @brief Text to ids and back: GPT-2's byte-level BPE and BERT's WordPiece, reading and
/// writing the published vocabulary files, so the ids are the ones the real models use.
///
/// ```cpp
/// const auto gpt2 = dl::tokenize::ByteLevelBPE::load("build/vocab/gpt2");
/// gpt2.encode("Hello world");            // {15496, 995}
/// const auto bert = dl::tokenize::WordPiece::load("build/vocab/bert-base-uncased/vocab.txt");
/// bert.encode("Hello, my dog is cute");  // {101, 7592, 1010, 2026, 3899, 2003, 10140, 102}
/// ```
///
/// Unicode properties (letters, numbers, marks, punctuation, case, NFD) come from ICU.
/// Invalid UTF-8 is an error that names its byte offset, never silent replacement.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dl::tokenize {

// [gpt2-pattern]
/// GPT-2's pre-tokenisation: `text` cut into the pieces that BPE encodes separately,
/// as GPT-2's pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// does: contractions, a letter run, a number run or a run of other symbols (each with
/// the space before it), and whitespace. The pieces concatenate to `text`.
/// Throws `dl::Error` with the byte offset for invalid UTF-8.
std::vector<std::string_view> gpt2_pieces(std::string_view text);
// [gpt2-pattern]

/// GPT-2's byte-to-character map: byte b is shown as a printable character, so that
/// every byte sequence is a string of visible tokens (space 0x20 becomes 'Ġ', U+0120).
/// Returns the UTF-8 of that character.
const std::string& byte_to_unicode(uint8_t b);

/// A BPE merge: the two tokens joined into one, in the order they were learned.
struct Merge {
  std::string left;   ///< first token
  std::string right;  ///< second token
};

/// Byte-level BPE, GPT-2's exactly: pieces from `gpt2_pieces`, each piece's bytes shown
/// through `byte_to_unicode`, then merged pair by pair, always the pair with the lowest
/// merge rank first. Every byte is a token, so any UTF-8 text encodes, with no unknown
/// token. No beginning- or end-of-text token is added.
class ByteLevelBPE {
 public:
  /// From a folder with `encoder.json` (token -> id) and `vocab.bpe` (a "#version" line,
  /// then one merge "a b" per line, by rank), OpenAI's format. Throws `dl::FileError`
  /// naming the file and the line for a missing or malformed file.
  static ByteLevelBPE load(const std::string& dir);

  /// Built from a vocabulary (`tokens[id]`) and merges by rank; every merge's parts and
  /// result must be tokens, and the 256 byte tokens must be there. Throws `dl::Error`.
  ByteLevelBPE(std::vector<std::string> tokens, std::vector<Merge> merges);

  /// The ids of `text`. Throws `dl::Error` naming the byte offset for invalid UTF-8.
  std::vector<int> encode(std::string_view text) const;
  /// The text of `ids` (bytes joined, then read as UTF-8; an incomplete character, as
  /// from a cut sequence of ids, becomes U+FFFD). Throws `dl::Error` for an unknown id.
  std::string decode(std::span<const int> ids) const;
  /// The token strings of `ids` (the byte-level spelling, "Ġworld").
  std::vector<std::string> tokens(std::span<const int> ids) const;

  /// Number of tokens.
  int vocab_size() const { return static_cast<int>(tokens_.size()); }
  /// The merges, by rank.
  const std::vector<Merge>& merges() const { return merges_; }
  /// Writes `encoder.json` and `vocab.bpe` into `dir` (created if missing), in OpenAI's
  /// format, so the tokenizer loads wherever GPT-2's files do.
  void save(const std::string& dir) const;

 private:
  void encode_piece(std::string_view piece, std::vector<int>& out) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> ids_;
  std::vector<Merge> merges_;
  std::vector<int> byte_ids_;  // id of each byte's token
  // (left id << 32 | right id) -> (rank << 32 | merged id)
  std::unordered_map<uint64_t, uint64_t> merge_table_;
};

// [train-bpe]
/// Learns byte-level BPE merges from `texts` (pre-tokenised with `gpt2_pieces`) until
/// the vocabulary holds `vocab_size` tokens (256 bytes + merges), or no pair occurs
/// twice. Pair counts are kept up to date as merges happen (only the words that hold
/// the merged pair are touched), not recounted per merge.
ByteLevelBPE train_bpe(std::span<const std::string> texts, int vocab_size);
// [train-bpe]

/// BERT's WordPiece with the basic tokenizer of bert-base-uncased: clean the text
/// (drop control characters, map whitespace to spaces), put spaces around CJK
/// ideographs, lower-case, strip accents (NFD, drop combining marks), split on
/// punctuation; then each word greedily into the longest vocabulary entries, "##"
/// marking a continuation; a word over 100 characters, or one that cannot be
/// covered, becomes [UNK]. `encode` wraps the ids in [CLS] ... [SEP]; a special token
/// written in the text ("Hello, my [MASK] is cute.") keeps its own id, as in Hugging
/// Face's `BertTokenizer`.
class WordPiece {
 public:
  /// From a `vocab.txt`, one token per line, the id being the line number (Hugging
  /// Face's format). Throws `dl::FileError` for a missing file, a token listed twice,
  /// or missing [UNK], [CLS] or [SEP].
  static WordPiece load(const std::string& vocab_txt);

  /// Built from `tokens[id]`. Throws `dl::Error` as `load` does.
  explicit WordPiece(std::vector<std::string> tokens);

  /// The ids of `text`, with [CLS] first and [SEP] last.
  /// Throws `dl::Error` naming the byte offset for invalid UTF-8.
  std::vector<int> encode(std::string_view text) const;
  /// The words of the basic tokenizer (before WordPiece): lower-cased, accents stripped,
  /// punctuation split off.
  std::vector<std::string> basic_tokens(std::string_view text) const;
  /// The tokens of `ids` joined by spaces, continuations glued to what they continue
  /// ("[CLS] hello , my dog [SEP]"). Throws `dl::Error` for an unknown id.
  std::string decode(std::span<const int> ids) const;
  /// The token strings of `ids`.
  std::vector<std::string> tokens(std::span<const int> ids) const;

  /// Number of tokens.
  int vocab_size() const { return static_cast<int>(tokens_.size()); }
  /// The id of `token`, or -1.
  int id(const std::string& token) const;

  /// The special tokens that stand for themselves when written in the text (case-sensitive).
  static constexpr const char* kSpecialTokens[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

  /// Words longer than this many characters become [UNK] (BERT's limit).
  static constexpr size_t kMaxWordChars = 100;

 private:
  void encode_word(const std::u32string& word, std::vector<int>& out) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> ids_;
  int unk_ = -1, cls_ = -1, sep_ = -1;
};

}  // namespace dl::tokenize
