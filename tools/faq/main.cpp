// faq — look a question up in the book's FAQ, in English or Chinese.
//
//   ./book faq "what is a CNN"
//   ./book faq 卷积神经网络是什么
//   ./book faq --json --top 3 learning rate too high
//   ./book faq --markdown > faq.md        # the FAQ page for the docs
//
// Prints the best entry's question and answer in the query's language, its link
// in the book, and two related questions. Exit codes: 0 found, 1 no good match,
// 2 bad usage.
#include <dl/json.hpp>
#include <dl/util.hpp>
#include <exception>
#include <iostream>

#include "faq.hpp"

namespace {
constexpr size_t kRelated = 2;  // related entries shown under the answer
}

int main(int argc, char** argv) {
  std::string source = DL_FAQ_SOURCE, lang;
  int64_t top = 1 + kRelated;
  bool json = false, markdown = false;
  // Everything that is not a flag is part of the query.
  std::vector<std::string> flag_args{"faq"}, query_words;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--top" || a == "--lang" || a == "--source") && i + 1 < argc) {
      flag_args.push_back(a);
      flag_args.push_back(argv[++i]);
    } else if (a.starts_with("--") || a == "-h") {
      flag_args.push_back(a);
    } else {
      query_words.push_back(a);
    }
  }
  dl::util::ArgParser args("faq", "Find the FAQ entry that answers QUERY (English or Chinese).");
  args.add_flag("--json", &json, "print the results as JSON");
  args.add_option("--top", &top, "number of results (the first is the answer)");
  args.add_option("--lang", &lang, "answer language: en or zh (default: the query's)");
  args.add_option("--source", &source, "the FAQ source file");
  args.add_flag("--markdown", &markdown, "print every entry as one Markdown page (for the docs) and exit");
  std::vector<char*> flag_argv;
  for (std::string& s : flag_args) flag_argv.push_back(s.data());
  args.parse(static_cast<int>(flag_argv.size()), flag_argv.data());
  std::string query;
  for (const std::string& w : query_words) query += (query.empty() ? "" : " ") + w;
  if (markdown) {
    try {
      std::cout << faq::to_markdown(faq::load_entries(source));
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "faq: error: " << e.what() << "\n";
      return 1;
    }
  }
  if (query.find_first_not_of(" \t\r\n") == std::string::npos || top < 1 || (!lang.empty() && lang != "en" && lang != "zh")) {
    std::cerr << "faq: error: give a question (and --top >= 1, --lang en or zh)\n\n" << args.usage();
    return 2;
  }

  try {
    const faq::Index index(faq::load_entries(source));
    const std::vector<faq::Index::Hit> hits = index.search(query, static_cast<size_t>(top));
    const bool chinese = lang.empty() ? faq::has_chinese(query) : lang == "zh";
    const bool found = !hits.empty() && hits.front().score >= faq::kMinScore;
    if (json) {
      dl::Json out = dl::Json::object();
      out["query"] = query;
      out["found"] = found;
      dl::Json results = dl::Json::array();
      for (const auto& hit : hits) {
        const faq::Entry& e = index.entries()[hit.entry];
        dl::Json r = dl::Json::object();
        r["id"] = e.id;
        r["score"] = hit.score;
        r["question_en"] = e.question_en;
        r["question_zh"] = e.question_zh;
        r["answer_en"] = e.answer_en;
        r["answer_zh"] = e.answer_zh;
        r["link"] = e.link;
        results.push_back(r);
      }
      out["results"] = results;
      std::cout << out.dump() << "\n";
      return found ? 0 : 1;
    }
    const auto question = [&](const faq::Entry& e) { return chinese ? e.question_zh : e.question_en; };
    if (!found) {
      std::cout << (chinese ? "没有找到合适的答案：" : "No good match for: ") << query << "\n";
      if (!hits.empty()) {
        std::cout << (chinese ? "最接近的问题：" : "Closest questions:") << "\n";
        for (const auto& hit : hits) std::cout << "  - " << question(index.entries()[hit.entry]) << "  [" << index.entries()[hit.entry].id << "]\n";
      }
      return 1;
    }
    const faq::Entry& best = index.entries()[hits.front().entry];
    std::cout << question(best) << "\n\n" << (chinese ? best.answer_zh : best.answer_en) << "\n";
    if (!best.link.empty()) std::cout << "\n" << (chinese ? "参见：" : "See: ") << best.link << "\n";
    if (hits.size() > 1) {
      std::cout << "\n" << (chinese ? "相关问题：" : "Related:") << "\n";
      for (size_t i = 1; i < hits.size(); ++i)
        std::cout << "  - " << question(index.entries()[hits[i].entry]) << "  [" << index.entries()[hits[i].entry].id << "]\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "faq: error: " << e.what() << "\n";
    return 1;
  }
}
