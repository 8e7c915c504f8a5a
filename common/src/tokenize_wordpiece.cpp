// BERT's tokenizer: the basic tokenizer of bert-base-uncased (clean, CJK, lower-case,
// strip accents, split punctuation), then greedy longest-match WordPiece.
#include <sstream>

#include "dl/error.hpp"
#include "dl/io.hpp"
#include "dl/tokenize.hpp"
#include "dl/utf8.hpp"
#include "tokenize_vocab.hpp"
#include "unicode.hpp"

namespace dl::tokenize {

namespace {

// Python's str.isspace-style whitespace that BERT turns into plain spaces: the ASCII
// space, tab, newline, carriage return, and every space separator (Zs).
bool bert_whitespace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || unicode::is_space_separator(c);
}

// [bert-control]
// Control characters BERT drops: any category C* (control, format, unassigned, ...)
// except tab, newline and carriage return, which count as whitespace.
bool bert_control(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  return unicode::is_other(c);
}
// [bert-control]

// ASCII symbols count as punctuation too ($, +, ^, `, ...), as in BERT.
bool bert_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return unicode::is_punctuation(c);
}

// The CJK Unified Ideographs blocks (and their extensions and compatibility forms):
// Chinese characters, written without spaces, become one word each.
bool cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

}  // namespace

WordPiece::WordPiece(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  for (size_t id = 0; id < tokens_.size(); ++id)
    if (!ids_.emplace(tokens_[id], static_cast<int>(id)).second)
      throw Error("WordPiece: token \"" + tokens_[id] + "\" appears twice (lines " +
                  std::to_string(ids_[tokens_[id]] + 1) + " and " + std::to_string(id + 1) + ")");
  unk_ = id("[UNK]"), cls_ = id("[CLS]"), sep_ = id("[SEP]");
  if (unk_ < 0 || cls_ < 0 || sep_ < 0)
    throw Error("WordPiece: the vocabulary lacks [UNK], [CLS] or [SEP] (expected BERT's special tokens)");
}

WordPiece WordPiece::load(const std::string& vocab_txt) {
  std::istringstream in(
      read_file(vocab_txt, "a vocab.txt, one token per line; ./book deps fetches bert-base-uncased's"));
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) tokens.push_back(line);
  try {
    return WordPiece(std::move(tokens));
  } catch (const Error& e) {
    throw FileError(vocab_txt + ": " + e.what());
  }
}

int WordPiece::id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

// [basic-tokenizer]
std::vector<std::string> WordPiece::basic_tokens(std::string_view text) const {
  // Clean: drop NUL, U+FFFD and control characters; whitespace becomes a space; and
  // each CJK ideograph stands alone.
  std::u32string clean;
  for (char32_t c : decode_utf8(text, "text")) {
    if (c == 0 || c == 0xFFFD || bert_control(c)) continue;
    if (bert_whitespace(c)) {
      clean += U' ';
    } else if (cjk_ideograph(c)) {
      clean += U' ';
      clean += c;
      clean += U' ';
    } else {
      clean += c;
    }
  }
  std::vector<std::string> out;
  std::u32string word;
  const auto finish_word = [&] {
    if (word.empty()) return;
    // Lower-case, then strip accents: NFD splits "é" into "e" + U+0301, and the mark goes.
    std::u32string plain;
    for (char32_t c : unicode::nfd(unicode::to_lower(word)))
      if (!unicode::is_nonspacing_mark(c)) plain += c;
    // Every punctuation character is a word of its own.
    std::u32string piece;
    for (char32_t c : plain) {
      if (bert_punctuation(c)) {
        if (!piece.empty()) out.push_back(encode_utf8(piece)), piece.clear();
        out.push_back(encode_utf8(std::u32string(1, c)));
      } else if (unicode::is_python_space(c)) {  // lower-casing never adds one, but split as BERT would
        if (!piece.empty()) out.push_back(encode_utf8(piece)), piece.clear();
      } else {
        piece += c;
      }
    }
    if (!piece.empty()) out.push_back(encode_utf8(piece));
    word.clear();
  };
  for (char32_t c : clean) {
    if (unicode::is_python_space(c)) finish_word();  // str.split(): any whitespace, U+2028 included
    else word += c;
  }
  finish_word();
  return out;
}
// [basic-tokenizer]

// [longest-match]
void WordPiece::encode_word(const std::u32string& word, std::vector<int>& out) const {
  if (word.size() > kMaxWordChars) {
    out.push_back(unk_);
    return;
  }
  // Greedy longest match: the longest prefix in the vocabulary, then the longest
  // "##" continuation from where it ended, and so on; a gap makes the word [UNK].
  std::vector<int> pieces;
  for (size_t start = 0; start < word.size();) {
    int found = -1;
    size_t end = word.size();
    for (; end > start; --end) {
      const std::string candidate = (start > 0 ? "##" : "") + encode_utf8(word.substr(start, end - start));
      if ((found = id(candidate)) >= 0) break;
    }
    if (found < 0) {
      out.push_back(unk_);
      return;
    }
    pieces.push_back(found);
    start = end;
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}
// [longest-match]

// [wordpiece-encode]
std::vector<int> WordPiece::encode(std::string_view text) const {
  std::vector<int> ids{cls_};
  const auto encode_words = [&](std::string_view chunk) {
    for (const std::string& word : basic_tokens(chunk)) encode_word(decode_utf8(word, "word"), ids);
  };
  // A special token written in the text ("my [MASK] is") stands for its own id, as in
  // Hugging Face's BertTokenizer; the text between special tokens is tokenized as usual.
  decode_utf8(text, "text");  // invalid UTF-8 is reported with its offset in the whole text
  size_t done = 0;
  for (size_t at = text.find('['); at != std::string_view::npos; at = text.find('[', at + 1)) {
    for (const char* special : kSpecialTokens) {
      const std::string_view s(special);
      if (text.substr(at, s.size()) != s || id(special) < 0) continue;
      encode_words(text.substr(done, at - done));
      ids.push_back(id(special));
      done = at + s.size();
      at = done - 1;
      break;
    }
  }
  encode_words(text.substr(done));
  ids.push_back(sep_);
  return ids;
}
// [wordpiece-encode]

std::vector<std::string> WordPiece::tokens(std::span<const int> ids) const {
  return detail::lookup_tokens(tokens_, ids, "WordPiece");
}

std::string WordPiece::decode(std::span<const int> ids) const {
  std::string text;
  for (const std::string& token : tokens(ids)) {
    // As Hugging Face's decode: tokens joined by spaces, then " ##" removed.
    if (!text.empty() && token.starts_with("##")) text += token.substr(2);
    else text += (text.empty() ? "" : " ") + token;
  }
  return text;
}

}  // namespace dl::tokenize
