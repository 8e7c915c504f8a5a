// Byte-level BPE, GPT-2's: pre-tokenisation, the byte-to-character map, encoding by
// merge rank, decoding, OpenAI's two files, and a trainer with incremental pair counts.
#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <queue>
#include <sstream>

#include "dl/error.hpp"
#include "dl/io.hpp"
#include "dl/tokenize.hpp"
#include "dl/utf8.hpp"
#include "tokenize_vocab.hpp"
#include "unicode.hpp"

namespace dl::tokenize {

namespace {

// Bytes of the code point that starts with `lead` (valid UTF-8 assumed).
size_t utf8_length(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

// [byte-map]
// The byte-to-character map: bytes that are printable Latin-1 (33..126, 161..172,
// 174..255) stand for themselves; the other 68 get the code points 256, 257, ... in
// byte order, so no token holds a space, a control character or a lone UTF-8 byte.
struct ByteMap {
  std::array<std::string, 256> utf8;
  std::array<int, 324> byte_of;  // code point -> byte, -1 when none (0..323 covers all)

  ByteMap() {
    byte_of.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(next++);
      append_utf8(utf8[static_cast<size_t>(b)], cp);
      byte_of[cp] = b;
    }
  }
};
// [byte-map]

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

uint64_t pair_key(int left, int right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// UTF-8 with every maximal invalid subsequence replaced by U+FFFD (what Python's
// bytes.decode(errors="replace") does), for decoding ids cut in the middle of a character.
std::string repair_utf8(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    const auto b0 = static_cast<unsigned char>(bytes[i]);
    size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 < 0x80) length = 1;
    else if (b0 >= 0xC2 && b0 <= 0xDF) length = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) length = 3, lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    else if (b0 >= 0xF0 && b0 <= 0xF4) length = 4, lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    size_t good = length == 0 ? 0 : 1;
    while (good < length && i + good < bytes.size()) {
      const auto b = static_cast<unsigned char>(bytes[i + good]);
      if (good == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
      ++good;
    }
    if (length != 0 && good == length) {
      out.append(bytes, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for the bytes that started a sequence and broke off
      i += std::max<size_t>(good, 1);
    }
  }
  return out;
}

[[noreturn]] void bad_file(const std::string& path, const std::string& what) {
  throw FileError(path + ": " + what);
}

std::string read_vocabulary_file(const std::string& path) {
  return read_file(path, "a GPT-2 vocabulary file (encoder.json, vocab.bpe); ./book deps fetches them");
}

}  // namespace

const std::string& byte_to_unicode(uint8_t b) { return byte_map().utf8[b]; }

// [gpt2-pieces]
std::vector<std::string_view> gpt2_pieces(std::string_view text) {
  // Decoding first rejects invalid UTF-8 with its byte offset; the scan below then
  // walks code points and their byte positions side by side.
  const std::u32string cps = decode_utf8(text, "text");
  std::vector<size_t> at(cps.size() + 1);  // byte offset of each code point
  for (size_t i = 0, b = 0; i < cps.size(); ++i) {
    at[i] = b;
    b += utf8_length(static_cast<unsigned char>(text[b]));
  }
  at[cps.size()] = text.size();

  const size_t n = cps.size();
  const auto other = [](char32_t c) { return !unicode::is_white_space(c) && !unicode::is_letter(c) && !unicode::is_number(c); };
  const auto run_end = [&](size_t i, auto&& in_class) {
    while (i < n && in_class(cps[i])) ++i;
    return i;
  };
  std::vector<std::string_view> pieces;
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    const char32_t c = cps[i];
    const char32_t next = i + 1 < n ? cps[i + 1] : 0;
    // 's 't 're 've 'm 'll 'd, exactly these lower-case forms.
    if (c == U'\'' && i + 1 < n) {
      if (next == U's' || next == U't' || next == U'm' || next == U'd') end = i + 2;
      else if (i + 2 < n && ((next == U'r' && cps[i + 2] == U'e') || (next == U'v' && cps[i + 2] == U'e') ||
                             (next == U'l' && cps[i + 2] == U'l')))
        end = i + 3;
    }
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: a run, with the one space before it.
    for (const auto& in_class : {+[](char32_t x) { return unicode::is_letter(x); },
                                 +[](char32_t x) { return unicode::is_number(x); }}) {
      if (end != i) break;
      if (in_class(c)) end = run_end(i, in_class);
      else if (c == U' ' && i + 1 < n && in_class(next)) end = run_end(i + 1, in_class);
    }
    if (end == i) {
      if (other(c)) end = run_end(i, other);
      else if (c == U' ' && i + 1 < n && other(next)) end = run_end(i + 1, other);
    }
    // `\s+(?!\S)|\s+`: a whitespace run; before a non-space it leaves its last
    // character to the next piece (which then starts with " word"), unless it is one long.
    if (end == i) {
      end = run_end(i, unicode::is_white_space);
      if (end < n && end - i > 1) --end;
    }
    pieces.push_back(text.substr(at[i], at[end] - at[i]));
    i = end;
  }
  return pieces;
}
// [gpt2-pieces]

ByteLevelBPE::ByteLevelBPE(std::vector<std::string> tokens, std::vector<Merge> merges)
    : tokens_(std::move(tokens)), merges_(std::move(merges)), byte_ids_(256) {
  for (size_t id = 0; id < tokens_.size(); ++id)
    if (!ids_.emplace(tokens_[id], static_cast<int>(id)).second)
      throw Error("ByteLevelBPE: token \"" + tokens_[id] + "\" appears twice in the vocabulary (ids " +
                  std::to_string(ids_[tokens_[id]]) + " and " + std::to_string(id) + ")");
  const auto id_of = [&](const std::string& token, const std::string& what) {
    const auto it = ids_.find(token);
    if (it == ids_.end()) throw Error("ByteLevelBPE: " + what + " \"" + token + "\" is not in the vocabulary");
    return it->second;
  };
  for (int b = 0; b < 256; ++b) byte_ids_[static_cast<size_t>(b)] = id_of(byte_to_unicode(static_cast<uint8_t>(b)), "byte token");
  for (size_t rank = 0; rank < merges_.size(); ++rank) {
    const Merge& m = merges_[rank];
    const std::string where = "merge " + std::to_string(rank + 1) + " (" + m.left + " " + m.right + "):";
    const int left = id_of(m.left, where + " part"), right = id_of(m.right, where + " part");
    const int merged = id_of(m.left + m.right, where + " result");
    // A pair listed twice keeps its first (lowest) rank, as GPT-2's dictionary of ranks does.
    merge_table_.emplace(pair_key(left, right), (static_cast<uint64_t>(rank) << 32) | static_cast<uint32_t>(merged));
  }
}

ByteLevelBPE ByteLevelBPE::load(const std::string& dir) {
  const std::string encoder_path = (std::filesystem::path(dir) / "encoder.json").string();
  const std::string merges_path = (std::filesystem::path(dir) / "vocab.bpe").string();
  nlohmann::json encoder;
  try {
    encoder = nlohmann::json::parse(read_vocabulary_file(encoder_path));
  } catch (const nlohmann::json::parse_error& e) {
    bad_file(encoder_path, "not valid JSON at byte " + std::to_string(e.byte) + " (expected {\"token\": id, ...})");
  }
  if (!encoder.is_object() || encoder.empty()) bad_file(encoder_path, "expected a non-empty object {\"token\": id, ...}");
  std::vector<std::string> tokens(encoder.size());
  for (const auto& [token, id] : encoder.items()) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= tokens.size())
      bad_file(encoder_path, "token \"" + token + "\" has id " + id.dump() + " (expected ids 0.." +
                                 std::to_string(tokens.size() - 1) + ", each once)");
    std::string& slot = tokens[id.get<size_t>()];
    if (!slot.empty()) bad_file(encoder_path, "id " + id.dump() + " is given to \"" + slot + "\" and \"" + token + "\"");
    slot = token;
  }

  std::istringstream lines(read_vocabulary_file(merges_path));
  std::vector<Merge> merges;
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    if (line.empty() || (number == 1 && line.starts_with("#version"))) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string::npos)
      bad_file(merges_path, "line " + std::to_string(number) + " is \"" + line.substr(0, 60) +
                                "\" (expected two tokens separated by one space)");
    merges.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  try {
    return ByteLevelBPE(std::move(tokens), std::move(merges));
  } catch (const FileError&) {
    throw;
  } catch (const Error& e) {
    bad_file(dir, e.what());
  }
}

// [bpe-encode]
void ByteLevelBPE::encode_piece(std::string_view piece, std::vector<int>& out) const {
  std::vector<int> word;
  word.reserve(piece.size());
  for (char byte : piece) word.push_back(byte_ids_[static_cast<unsigned char>(byte)]);
  // Merge the pair with the lowest rank, all its occurrences left to right, until no
  // adjacent pair has a merge.
  while (word.size() > 1) {
    uint64_t best = UINT64_MAX, best_pair = 0;  // (rank << 32 | merged id), and the pair
    for (size_t k = 0; k + 1 < word.size(); ++k) {
      const uint64_t key = pair_key(word[k], word[k + 1]);
      const auto it = merge_table_.find(key);
      if (it != merge_table_.end() && it->second < best) best = it->second, best_pair = key;
    }
    if (best == UINT64_MAX) break;
    const auto merged = static_cast<int>(best & 0xFFFFFFFFu);
    const auto a = static_cast<int>(best_pair >> 32), b = static_cast<int>(best_pair & 0xFFFFFFFFu);
    size_t w = 0;
    for (size_t k = 0; k < word.size(); ++w) {
      if (k + 1 < word.size() && word[k] == a && word[k + 1] == b) {
        word[w] = merged;
        k += 2;
      } else {
        word[w] = word[k];
        k += 1;
      }
    }
    word.resize(w);
  }
  out.insert(out.end(), word.begin(), word.end());
}

std::vector<int> ByteLevelBPE::encode(std::string_view text) const {
  std::vector<int> ids;
  for (std::string_view piece : gpt2_pieces(text)) encode_piece(piece, ids);
  return ids;
}
// [bpe-encode]

std::vector<std::string> ByteLevelBPE::tokens(std::span<const int> ids) const {
  return detail::lookup_tokens(tokens_, ids, "ByteLevelBPE");
}

std::string ByteLevelBPE::decode(std::span<const int> ids) const {
  std::string bytes;
  for (const std::string& token : tokens(ids)) {
    for (char32_t cp : decode_utf8(token, "token")) {
      const int b = cp < byte_map().byte_of.size() ? byte_map().byte_of[cp] : -1;
      if (b < 0) throw Error("ByteLevelBPE: token \"" + token + "\" holds a character that stands for no byte");
      bytes += static_cast<char>(b);
    }
  }
  return repair_utf8(bytes);
}

void ByteLevelBPE::save(const std::string& dir) const {
  std::filesystem::create_directories(dir);
  nlohmann::ordered_json encoder = nlohmann::ordered_json::object();
  for (size_t id = 0; id < tokens_.size(); ++id) encoder[tokens_[id]] = id;
  write_file_atomically((std::filesystem::path(dir) / "encoder.json").string(), encoder.dump());
  std::string merges = "#version: 0.2\n";
  for (const Merge& m : merges_) merges += m.left + " " + m.right + "\n";
  write_file_atomically((std::filesystem::path(dir) / "vocab.bpe").string(), merges);
}

ByteLevelBPE train_bpe(std::span<const std::string> texts, int vocab_size) {
  if (vocab_size < 256) throw Error("train_bpe: vocab_size must be at least 256 (one token per byte), got " + std::to_string(vocab_size));
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_to_unicode(static_cast<uint8_t>(b)));

  // Each distinct piece once, with how often it occurs; a word is its token ids.
  std::unordered_map<std::string_view, int64_t> counts;
  for (const std::string& text : texts)
    for (std::string_view piece : gpt2_pieces(text)) ++counts[piece];
  std::vector<std::vector<int>> words;
  std::vector<int64_t> freq;
  words.reserve(counts.size());
  for (const auto& [piece, count] : counts) {
    std::vector<int> w;
    for (char byte : piece) w.push_back(static_cast<unsigned char>(byte));
    words.push_back(std::move(w));
    freq.push_back(count);
  }
  // Sorted, so that the result does not depend on the hash map's order.
  std::vector<size_t> order(words.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return words[a] < words[b]; });
  {
    std::vector<std::vector<int>> sorted_words;
    std::vector<int64_t> sorted_freq;
    for (size_t i : order) sorted_words.push_back(std::move(words[i])), sorted_freq.push_back(freq[i]);
    words = std::move(sorted_words);
    freq = std::move(sorted_freq);
  }

  // Pair counts over all words, which words hold each pair, and a heap of candidates
  // (count, pair); entries whose count has changed since they were pushed are skipped.
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<uint32_t>> where;
  const auto add_pairs = [&](uint32_t w, int64_t sign) {
    const std::vector<int>& word = words[w];
    for (size_t k = 0; k + 1 < word.size(); ++k) {
      const uint64_t key = pair_key(word[k], word[k + 1]);
      pair_count[key] += sign * freq[w];
      if (sign > 0) where[key].push_back(w);
    }
  };
  for (uint32_t w = 0; w < words.size(); ++w) add_pairs(w, +1);
  using Candidate = std::pair<int64_t, uint64_t>;  // count, then the smaller pair key first
  const auto worse = [](const Candidate& a, const Candidate& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> heap(worse);
  for (const auto& [key, count] : pair_count) heap.push({count, key});

  // [bpe-train]
  std::vector<Merge> merges;
  while (static_cast<int>(tokens.size()) < vocab_size && !heap.empty()) {
    const auto [count, key] = heap.top();
    heap.pop();
    const auto current = pair_count.find(key);
    if (current == pair_count.end() || current->second != count) continue;  // stale entry
    if (count < 2) break;  // a pair seen once is not worth a token
    const int a = static_cast<int>(key >> 32), b = static_cast<int>(key & 0xFFFFFFFFu);
    const int merged = static_cast<int>(tokens.size());
    merges.push_back({tokens[static_cast<size_t>(a)], tokens[static_cast<size_t>(b)]});
    tokens.push_back(tokens[static_cast<size_t>(a)] + tokens[static_cast<size_t>(b)]);

    std::vector<uint32_t> holders = std::move(where[key]);
    where.erase(key);
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    std::unordered_map<uint64_t, bool> touched;
    for (uint32_t w : holders) {
      std::vector<int>& word = words[w];
      bool found = false;
      for (size_t k = 0; k + 1 < word.size() && !found; ++k) found = word[k] == a && word[k + 1] == b;
      if (!found) continue;  // an old entry: an earlier merge already used these symbols
      // Take the word's pairs out, merge, put its new pairs in: only this word's counts change.
      for (size_t k = 0; k + 1 < word.size(); ++k) touched[pair_key(word[k], word[k + 1])] = true;
      add_pairs(w, -1);
      size_t out = 0;
      for (size_t k = 0; k < word.size(); ++out) {
        if (k + 1 < word.size() && word[k] == a && word[k + 1] == b) word[out] = merged, k += 2;
        else word[out] = word[k], k += 1;
      }
      word.resize(out);
      add_pairs(w, +1);
      for (size_t k = 0; k + 1 < word.size(); ++k) touched[pair_key(word[k], word[k + 1])] = true;
    }
    pair_count.erase(key);
    for (const auto& [touched_key, unused] : touched) {
      const auto it = pair_count.find(touched_key);
      if (it == pair_count.end()) continue;
      if (it->second <= 0) pair_count.erase(it);
      else heap.push({it->second, touched_key});
    }
  }
  // [bpe-train]
  return ByteLevelBPE(std::move(tokens), std::move(merges));
}

}  // namespace dl::tokenize
