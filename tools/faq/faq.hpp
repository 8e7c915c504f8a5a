// The FAQ: entries read from docs/faq.json, and a BM25 index that finds the entry a
// learner means, asked in English, Chinese or both, with abbreviations and typos.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace faq {

/// One question with its answer in both languages.
struct Entry {
  std::string id;                     ///< stable, linkable: "what-is-cnn"
  std::string chapter;                ///< "02-cnn", "book", ...
  std::string link;                   ///< "chapters/02-cnn/lesson.md#ch02-pool" or ""
  std::string question_en, question_zh;
  std::string answer_en, answer_zh;
  std::vector<std::string> keywords;  ///< synonyms and terms in either language
};

/// Reads and checks the FAQ source: every field present and a string, ids unique
/// and kebab-case. Throws dl::FileError naming the path and the entry.
std::vector<Entry> load_entries(const std::string& path);

/// Words of `text` for indexing: lower-cased, lightly stemmed English words, and
/// Chinese characters as single characters and as overlapping pairs. Invalid UTF-8
/// bytes separate words and are otherwise ignored.
std::vector<std::string> tokenize(std::string_view text);

/// `text` followed by every alias of any alias group it mentions, so that "CNN",
/// "ConvNet" and "卷积神经网络" all find the same entries.
std::string expand_aliases(std::string_view text);

/// True when `text` holds a Chinese character (the answer language defaults to it).
bool has_chinese(std::string_view text);

/// Optimal-string-alignment distance (edits, with swaps of neighbours counting one),
/// on bytes; stops early and returns limit + 1 once it exceeds `limit`.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

/// A BM25 index over question, keywords (weighted up) and answer of every entry.
class Index {
 public:
  /// Indexes `entries` (kept by the index).
  explicit Index(std::vector<Entry> entries);

  /// A ranked result.
  struct Hit {
    size_t entry;  ///< position in entries()
    double score;  ///< BM25 score, higher is better
  };

  /// The best `top_k` entries for `query`, best first; entries scoring 0 are left out.
  std::vector<Hit> search(std::string_view query, size_t top_k) const;
  /// The indexed entries.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::string correct_typo(const std::string& word) const;

  std::vector<Entry> entries_;
  std::vector<std::unordered_map<std::string, double>> term_weights_;  // per entry: token -> weighted count
  std::vector<double> lengths_;
  double average_length_ = 0;
  std::unordered_map<std::string, size_t> document_frequency_;
  std::vector<std::string> surface_words_;  // English words seen in the entries, for typo matching
};

/// The FAQ as one MyST Markdown page: entries grouped by chapter, each with an
/// `(faq-<id>)=` target so lessons and the site can link to it, question and answer
/// in English, then in Chinese.
std::string to_markdown(const std::vector<Entry>& entries);

/// What `render_results` writes for a number whose run has not been made yet.
inline constexpr std::string_view kNotRunYetEn = "(not run yet)", kNotRunYetZh = "（尚未运行）";

/// `text` with every number reference {result}`RUN:KEY:FORMAT` (the lessons' syntax,
/// which the website renders the same way) replaced by the number at KEY (a member or
/// dotted path) of `results_dir`/RUN/summary.json, written in FORMAT: pct (92.2%), pct2
/// (91.35%), int (235,146), seconds (8.1 seconds) or f0-f4 (fixed decimals). When the
/// file or the key is missing, it writes kNotRunYetEn (kNotRunYetZh when `chinese`). An empty `results_dir` removes the references (for indexing). A
/// malformed reference or an unknown FORMAT throws dl::Error.
std::string render_results(std::string_view text, const std::string& results_dir, bool chinese);

/// Score under which a search is reported as "no good match".
inline constexpr double kMinScore = 3.0;

}  // namespace faq
