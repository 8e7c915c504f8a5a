// FAQ source parsing, tokenisation (English words, Chinese character n-grams),
// aliases, typo correction and BM25 ranking.
#include "faq.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <dl/app/results.hpp>
#include <dl/error.hpp>
#include <dl/utf8.hpp>
#include <fstream>
#include <sstream>
#include <unordered_set>

namespace faq {

namespace {

// ---- UTF-8 ----------------------------------------------------------------

// Decodes the code point at text[i], advancing i; returns -1 for an invalid byte
// (which advances by one), so any byte sequence is read to the end.
int32_t next_code_point(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  size_t length = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > text.size()) {
    ++i;
    return -1;
  }
  int32_t cp = length == 1 ? b0 : b0 & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += length;
  return cp;
}

bool is_han(int32_t cp) { return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF); }

std::string encode(int32_t cp) {
  std::string out;
  dl::append_utf8(out, static_cast<char32_t>(cp));
  return out;
}

// ---- English --------------------------------------------------------------

const std::unordered_set<std::string>& stopwords() {
  static const std::unordered_set<std::string> words = {
      "a", "an", "the", "is", "are", "was", "be", "do", "does", "did", "i", "you", "it", "its", "my", "me",
      "we", "to", "of", "in", "on", "at", "for", "and", "or", "with", "this", "that", "what", "which",
      "can", "should", "would", "there", "so", "as", "by", "from", "about", "into", "than", "then"};
  return words;
}

// Chinese function characters and question words: they say "this is a question",
// not what it is about, so neither they nor pairs made of them count as terms.
const std::unordered_set<std::string>& chinese_stopwords() {
  static const std::unordered_set<std::string> words = {
      "的", "了", "吗", "呢", "吧", "啊", "么", "什", "怎", "是", "我", "你", "在", "和", "有", "个", "一", "这", "那",
      "什么", "怎么", "怎样", "为什", "如何", "么是", "是什", "么办", "请问", "一个", "这个", "那个", "我的", "可以", "为何"};
  return words;
}

// A light suffix stripper: enough that "networks", "learning" and "learned" meet "network" and "learn".
std::string stem(std::string w) {
  const auto ends = [&](std::string_view s) { return w.size() > s.size() && w.ends_with(s); };
  if (w.size() > 4 && ends("ies")) return w.substr(0, w.size() - 3) + "y";
  if (w.size() > 5 && ends("ing")) w.resize(w.size() - 3);
  else if (w.size() > 4 && ends("ed")) w.resize(w.size() - 2);
  else if (w.size() > 3 && ends("s") && !ends("ss") && !ends("us") && !ends("is")) w.resize(w.size() - 1);
  if (w.size() > 4 && w.back() == 'e') w.pop_back();
  return w;
}

// Calls f(word) for each run of ASCII letters and digits, lower-cased.
template <class F>
void for_each_ascii_word(std::string_view text, F&& f) {
  std::string word;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && std::isalnum(u)) {
      word += static_cast<char>(std::tolower(u));
    } else if (!word.empty()) {
      f(word);
      word.clear();
    }
  }
  if (!word.empty()) f(word);
}

// ---- aliases --------------------------------------------------------------

// Each group names one thing; a query or entry that mentions one name gets all of them.
const std::vector<std::vector<std::string>>& alias_groups() {
  static const std::vector<std::vector<std::string>> groups = {
      {"cnn", "convnet", "convolutional neural network", "convolutional network", "卷积神经网络", "卷积网络"},
      {"rnn", "recurrent neural network", "recurrent network", "循环神经网络", "递归神经网络"},
      {"lstm", "long short-term memory", "长短期记忆"},
      {"gru", "gated recurrent unit", "门控循环单元"},
      {"nlp", "natural language processing", "自然语言处理"},
      {"nlg", "natural language generation", "text generation", "自然语言生成", "文本生成"},
      {"nlu", "natural language understanding", "自然语言理解"},
      {"llm", "large language model", "large model", "big model", "大模型", "大语言模型"},
      {"deep learning", "深度学习"},
      {"lr", "learning rate", "学习率"},
      {"bn", "batchnorm", "batch norm", "batch normalization", "batch normalisation", "批归一化", "批量归一化"},
      {"mlp", "multilayer perceptron", "multi-layer perceptron", "多层感知机"},
      {"relu", "rectified linear unit", "线性整流"},
      {"sgd", "stochastic gradient descent", "随机梯度下降"},
      {"backprop", "backpropagation", "back propagation", "反向传播"},
      {"autograd", "automatic differentiation", "自动微分", "自动求导"},
      {"overfitting", "overfit", "过拟合"},
      {"pytorch", "torch"},
      {"tensorflow", "tf", "keras"},
      {"hugging face", "huggingface", "transformers library"},
  };
  return groups;
}

}  // namespace

bool has_chinese(std::string_view text) {
  for (size_t i = 0; i < text.size();)
    if (is_han(next_code_point(text, i))) return true;
  return false;
}

std::string expand_aliases(std::string_view text) {
  // English names match whole words only ("tf" is not inside "pdf"); Chinese ones anywhere.
  std::string words = " ";
  for_each_ascii_word(text, [&](const std::string& w) { words += w + " "; });
  std::string out(text);
  for (const auto& group : alias_groups()) {
    const bool mentioned = std::any_of(group.begin(), group.end(), [&](const std::string& name) {
      if (has_chinese(name)) return text.find(name) != std::string_view::npos;
      std::string spaced = " ";
      for_each_ascii_word(name, [&](const std::string& w) { spaced += w + " "; });
      return words.find(spaced) != std::string::npos;
    });
    if (mentioned)
      for (const std::string& name : group) out += " " + name;
  }
  return out;
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  for_each_ascii_word(text, [&](const std::string& w) {
    if (!stopwords().contains(w)) tokens.push_back(stem(w));
  });
  // Chinese has no spaces: index every character and every pair of neighbours.
  int32_t previous = -1;
  for (size_t i = 0; i < text.size();) {
    const int32_t cp = next_code_point(text, i);
    if (is_han(cp)) {
      const std::string single = encode(cp);
      if (!chinese_stopwords().contains(single)) tokens.push_back(single);
      if (previous >= 0) {
        std::string pair = encode(previous) + single;
        if (!chinese_stopwords().contains(pair)) tokens.push_back(std::move(pair));
      }
      previous = cp;
    } else {
      previous = -1;
    }
  }
  return tokens;
}

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  // Three rows of the dynamic programme: two back for the neighbour swap.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    size_t row_min = current[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
      row_min = std::min(row_min, current[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<Entry> load_entries(const std::string& path) {
  const dl::app::Json root = dl::app::read_json_file(path);
  if (!root.is_object() || !root.contains("entries") || !root.at("entries").is_array())
    throw dl::FileError(path + ": expected an object with an \"entries\" array");
  std::vector<Entry> entries;
  std::unordered_set<std::string> ids;
  for (const dl::app::Json& item : root.at("entries")) {
    const std::string where = path + ": entry " + std::to_string(entries.size());
    if (!item.is_object()) throw dl::FileError(where + " is not an object");
    const auto field = [&](const char* name) {
      if (!item.contains(name) || !item.at(name).is_string())
        throw dl::FileError(where + ": field \"" + name + "\" is missing or not a string");
      return item.at(name).get<std::string>();
    };
    Entry e{field("id"), field("chapter"), field("link"), field("question_en"), field("question_zh"),
            field("answer_en"), field("answer_zh"), {}};
    const bool kebab = !e.id.empty() && std::all_of(e.id.begin(), e.id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!kebab) throw dl::FileError(where + ": id \"" + e.id + "\" must be lower-case kebab-case");
    if (!ids.insert(e.id).second) throw dl::FileError(where + ": duplicate id \"" + e.id + "\"");
    for (const std::string* answer : {&e.answer_en, &e.answer_zh}) {
      try {
        render_results(*answer, "", false);  // every {result}` reference well formed
      } catch (const dl::Error& error) {
        throw dl::FileError(where + " (" + e.id + "): " + error.what());
      }
    }
    if (!item.contains("keywords") || !item.at("keywords").is_array())
      throw dl::FileError(where + " (" + e.id + "): \"keywords\" must be an array of strings");
    for (const dl::app::Json& k : item.at("keywords")) {
      if (!k.is_string()) throw dl::FileError(where + " (" + e.id + "): a keyword is not a string");
      e.keywords.push_back(k.get<std::string>());
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty()) throw dl::FileError(path + ": the FAQ has no entries");
  return entries;
}

std::string to_markdown(const std::vector<Entry>& entries) {
  // Chapter folders sort in book order; "book" and "general" go last.
  std::vector<std::string> chapters;
  for (const Entry& e : entries)
    if (std::find(chapters.begin(), chapters.end(), e.chapter) == chapters.end()) chapters.push_back(e.chapter);
  const auto rank = [](const std::string& c) { return c == "general" ? 1 : c == "book" ? 2 : 0; };
  std::stable_sort(chapters.begin(), chapters.end(), [&](const std::string& a, const std::string& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  std::string out = "# FAQ · 常见问题\n\nGenerated from `docs/faq.json`; `./book faq QUESTION` searches the same entries.\n";
  for (const std::string& chapter : chapters) {
    const std::string title = chapter == "general" ? "General · 综合" : chapter == "book" ? "Using the book · 使用本书" : "Chapter " + chapter;
    out += "\n## " + title + "\n";
    for (const Entry& e : entries) {
      if (e.chapter != chapter) continue;
      out += "\n(faq-" + e.id + ")=\n### " + e.question_en + "\n\n" + e.answer_en + "\n\n**" + e.question_zh + "**\n\n" +
             e.answer_zh + "\n";
      if (!e.link.empty()) out += "\nIn the book: `" + e.link + "`\n";
    }
  }
  return out;
}

// ---- numbers from the runs -------------------------------------------------------

namespace {

// The number at a dotted path ("per_class_accuracy.Shirt", "confusion.6.0"), or null.
const dl::app::Json* lookup(const dl::app::Json& root, const std::string& key) {
  const dl::app::Json* value = &root;
  std::stringstream parts(key);
  for (std::string part; std::getline(parts, part, '.');) {
    if (value->is_object() && value->contains(part)) {
      value = &value->at(part);
    } else if (value->is_array() && !part.empty() && part.size() < 9 &&
               std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
               std::stoul(part) < value->size()) {
      value = &value->at(std::stoul(part));
    } else {
      return nullptr;
    }
  }
  return value->is_number() ? value : nullptr;
}

// As docs/_ext/dlbook.py's RESULT_FORMATS writes it.
std::string format_number(double v, const std::string& format, const std::string& ref) {
  char buffer[64];
  if (format == "pct" || format == "pct2") {
    std::snprintf(buffer, sizeof buffer, format == "pct" ? "%.1f%%" : "%.2f%%", 100 * v);
  } else if (format == "seconds") {
    std::snprintf(buffer, sizeof buffer, "%.1f seconds", v);
  } else if (format.size() == 2 && format[0] == 'f' && format[1] >= '0' && format[1] <= '4') {
    std::snprintf(buffer, sizeof buffer, "%.*f", format[1] - '0', v);
  } else if (format == "int") {
    const std::string digits = std::to_string(std::llround(std::fabs(v)));
    std::string out = v < -0.5 ? "-" : "";
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  } else {
    throw dl::Error("{result}`" + ref + "`: unknown format '" + format + "' (known: pct, pct2, int, seconds, f0-f4)");
  }
  return buffer;
}

}  // namespace

std::string render_results(std::string_view text, const std::string& results_dir, bool chinese) {
  static constexpr std::string_view kOpen = "{result}`";
  std::string out;
  std::unordered_map<std::string, dl::app::Json> summaries;  // per run, read once
  for (size_t at = 0;;) {
    const size_t start = text.find(kOpen, at);
    if (start == std::string_view::npos) return out.append(text.substr(at));
    out.append(text.substr(at, start - at));
    const size_t end = text.find('`', start + kOpen.size());
    if (end == std::string_view::npos) throw dl::Error("an unclosed {result}` reference in: " + std::string(text));
    const std::string ref(text.substr(start + kOpen.size(), end - start - kOpen.size()));
    at = end + 1;
    std::vector<std::string> parts;
    std::stringstream fields(ref);
    for (std::string part; std::getline(fields, part, ':');) parts.push_back(part);
    if (parts.size() != 3) throw dl::Error("{result}`" + ref + "`: expected RUN:KEY:FORMAT");
    format_number(0, parts[2], ref);  // an unknown format is an error whether or not the run exists
    if (results_dir.empty()) continue;
    auto [it, fresh] = summaries.try_emplace(parts[0]);
    if (fresh) {
      std::ifstream file(results_dir + "/" + parts[0] + "/summary.json");
      it->second = file ? dl::app::Json::parse(file, nullptr, false) : dl::app::Json();
    }
    const dl::app::Json* value = lookup(it->second, parts[1]);
    out += value ? format_number(value->get<double>(), parts[2], ref)
                 : std::string(chinese ? kNotRunYetZh : kNotRunYetEn);
  }
}

// ---- the index --------------------------------------------------------------

namespace {
constexpr double kQuestionWeight = 3.0, kKeywordWeight = 3.0, kAnswerWeight = 1.0;
constexpr double kK1 = 1.2, kB = 0.75;  // BM25's usual constants
constexpr size_t kMinTypoLength = 5;     // shorter words are too easy to confuse
}  // namespace

Index::Index(std::vector<Entry> entries) : entries_(std::move(entries)) {
  std::unordered_set<std::string> surface;
  for (const Entry& e : entries_) {
    std::unordered_map<std::string, double> weights;
    const auto add = [&](const std::string& text, double weight) {
      for (const std::string& t : tokenize(expand_aliases(text))) weights[t] += weight;
      for_each_ascii_word(text, [&](const std::string& w) { surface.insert(w); });
    };
    add(e.question_en, kQuestionWeight);
    add(e.question_zh, kQuestionWeight);
    for (const std::string& k : e.keywords) add(k, kKeywordWeight);
    add(render_results(e.answer_en, "", false), kAnswerWeight);  // the words, not the references
    add(render_results(e.answer_zh, "", true), kAnswerWeight);
    double length = 0;
    for (const auto& [term, w] : weights) {
      length += w;
      ++document_frequency_[term];
    }
    lengths_.push_back(length);
    average_length_ += length;
    term_weights_.push_back(std::move(weights));
  }
  average_length_ /= static_cast<double>(std::max<size_t>(entries_.size(), 1));
  surface_words_.assign(surface.begin(), surface.end());
  std::sort(surface_words_.begin(), surface_words_.end());  // a fixed order makes ties deterministic
}

std::string Index::correct_typo(const std::string& word) const {
  if (word.size() < kMinTypoLength || std::binary_search(surface_words_.begin(), surface_words_.end(), word))
    return word;
  for (const std::string& known : surface_words_)
    if (known.size() >= kMinTypoLength && edit_distance(word, known, 1) <= 1) return known;
  return word;
}

std::vector<Index::Hit> Index::search(std::string_view query, size_t top_k) const {
  // Correct English typos word by word, keep everything else (Chinese included) as it is.
  std::string corrected;
  std::string word;
  const auto flush = [&] {
    if (!word.empty()) corrected += correct_typo(word);
    word.clear();
  };
  for (char c : query) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && std::isalnum(u)) {
      word += static_cast<char>(std::tolower(u));
    } else {
      flush();
      corrected += c;
    }
  }
  flush();

  std::vector<std::string> terms = tokenize(expand_aliases(corrected));
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  const auto n = static_cast<double>(entries_.size());
  std::vector<Hit> hits;
  for (size_t d = 0; d < entries_.size(); ++d) {
    double score = 0;
    for (const std::string& t : terms) {
      const auto it = term_weights_[d].find(t);
      if (it == term_weights_[d].end()) continue;
      const auto df = static_cast<double>(document_frequency_.at(t));
      const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
      const double tf = it->second;
      score += idf * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * lengths_[d] / average_length_));
    }
    if (score > 0) hits.push_back({d, score});
  }
  std::stable_sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.score > b.score; });
  if (hits.size() > top_k) hits.resize(top_k);
  return hits;
}

}  // namespace faq
