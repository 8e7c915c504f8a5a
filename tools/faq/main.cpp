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
#include <dl/app/program.hpp>
#include <dl/app/results.hpp>
#include <iostream>

#include "faq.hpp"

namespace {
constexpr size_t kRelated = 2;  // related entries shown under the answer
}

int main(int argc, char** argv) {
  return dl::app::run_program("faq", argc, argv, [&](dl::app::Program& program) {
    // Numbers the answers quote from the chapters' runs come from here (as on the website).
    std::string source = DL_FAQ_SOURCE, lang, results_dir = DL_RESULTS_DIR;
    int64_t top = 1 + kRelated;
    bool json = false, markdown = false;
    std::vector<std::string> words;  // every argument that is not a flag is part of the query
    CLI::App& cli = program.cli();
    cli.description("Find the FAQ entry that answers QUERY (English or Chinese).");
    cli.add_option("query", words, "the question, in English or Chinese");
    cli.add_flag("--json", json, "print the results as JSON");
    cli.add_option("--top", top, "number of results (the first is the answer)")->check(CLI::PositiveNumber);
    cli.add_option("--lang", lang, "answer language: en or zh (default: the query's)")->check(CLI::IsMember({"en", "zh"}));
    cli.add_option("--source", source, "the FAQ source file");
    cli.add_option("--results", results_dir, "the folder of the chapters' results, for the numbers the answers quote");
    cli.add_flag("--markdown", markdown, "print every entry as one Markdown page (for the docs) and exit");
    program.parse_own_flags();  // the FAQ has none of the chapter programs' shared flags

    if (markdown) {
      std::cout << faq::to_markdown(faq::load_entries(source));
      return 0;
    }
    std::string query;
    for (const std::string& w : words) query += (query.empty() ? "" : " ") + w;
    if (query.find_first_not_of(" \t\r\n") == std::string::npos) throw dl::app::UsageError("give a question");

    const faq::Index index(faq::load_entries(source));
    const std::vector<faq::Index::Hit> hits = index.search(query, static_cast<size_t>(top));
    const bool chinese = lang.empty() ? faq::has_chinese(query) : lang == "zh";
    const bool found = !hits.empty() && hits.front().score >= faq::kMinScore;
    if (json) {
      dl::app::Json results = dl::app::Json::array();
      for (const auto& hit : hits) {
        const faq::Entry& e = index.entries()[hit.entry];
        results.push_back({{"id", e.id},
                           {"score", hit.score},
                           {"question_en", e.question_en},
                           {"question_zh", e.question_zh},
                           {"answer_en", faq::render_results(e.answer_en, results_dir, false)},
                           {"answer_zh", faq::render_results(e.answer_zh, results_dir, true)},
                           {"link", e.link}});
      }
      const dl::app::Json out = {{"query", query}, {"found", found}, {"results", results}};
      std::cout << out.dump(-1, ' ', false, dl::app::Json::error_handler_t::replace) << "\n";
      return found ? 0 : 1;
    }
    const auto question = [&](const faq::Entry& e) { return chinese ? e.question_zh : e.question_en; };
    if (!found) {
      std::cout << (chinese ? "没有找到合适的答案：" : "No good match for: ") << query << "\n";
      if (!hits.empty()) {
        std::cout << (chinese ? "最接近的问题：" : "Closest questions:") << "\n";
        for (const auto& hit : hits)
          std::cout << "  - " << question(index.entries()[hit.entry]) << "  [" << index.entries()[hit.entry].id << "]\n";
      }
      return 1;
    }
    const faq::Entry& best = index.entries()[hits.front().entry];
    const std::string answer = faq::render_results(chinese ? best.answer_zh : best.answer_en, results_dir, chinese);
    std::cout << question(best) << "\n\n" << answer << "\n";
    if (answer.find(chinese ? faq::kNotRunYetZh : faq::kNotRunYetEn) != std::string::npos)
      std::cout << "\n" << (chinese ? "标为“尚未运行”的数字来自各章的运行：./book run 之后即可看到。"
                                     : "Numbers marked (not run yet) come from the chapters' runs: ./book run makes them.")
                << "\n";
    if (!best.link.empty()) std::cout << "\n" << (chinese ? "参见：" : "See: ") << best.link << "\n";
    if (hits.size() > 1) {
      std::cout << "\n" << (chinese ? "相关问题：" : "Related:") << "\n";
      for (size_t i = 1; i < hits.size(); ++i)
        std::cout << "  - " << question(index.entries()[hits[i].entry]) << "  [" << index.entries()[hits[i].entry].id << "]\n";
    }
    return 0;
  });
}
