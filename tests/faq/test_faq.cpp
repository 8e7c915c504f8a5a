// The FAQ: its source is complete and consistent, and the lookup finds the right
// entry for questions written in learners' own words (held-out queries).
#include <catch2/catch.hpp>
#include <dl/app/results.hpp>
#include <dl/error.hpp>
#include <dl/random.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "faq.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace {

using test::read_text;

const faq::Index& index() {
  static const faq::Index built(faq::load_entries(DL_FAQ_SOURCE));
  return built;
}

std::vector<std::pair<std::string, std::string>> labelled_queries() {
  std::vector<std::pair<std::string, std::string>> out;
  const dl::app::Json root = dl::app::read_json_file(DL_FAQ_QUERIES);
  for (const dl::app::Json& q : root.at("queries"))
    out.emplace_back(q.at("query").get<std::string>(), q.at("id").get<std::string>());
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("faq source: holds every question of the seed's FAQ, by id", "[faq]") {
  std::map<std::string, int> ids;
  for (const faq::Entry& e : index().entries()) ++ids[e.id];
  for (const char* id : {"what-is-a-large-model", "how-to-learn-large-models", "what-is-deep-learning", "what-is-cnn",
                         "what-is-rnn", "what-is-nlp", "what-is-nlg", "what-is-nlu", "cnn-in-pytorch",
                         "rnn-in-tensorflow", "nlp-with-transformers"}) {
    INFO(id);
    CHECK(ids[id] == 1);
  }
}

TEST_CASE("faq source: at least five entries per written chapter and some on using the book", "[faq]") {
  std::map<std::string, int> per_chapter;
  for (const faq::Entry& e : index().entries()) ++per_chapter[e.chapter];
  CHECK(per_chapter["01-deep-learning"] >= 5);
  CHECK(per_chapter["02-cnn"] >= 5);
  CHECK(per_chapter["book"] >= 3);
}

TEST_CASE("faq source: every entry is bilingual and every link points at a real lesson section", "[faq]") {
  for (const faq::Entry& e : index().entries()) {
    INFO(e.id);
    CHECK(faq::has_chinese(e.question_zh));
    CHECK(faq::has_chinese(e.answer_zh));
    CHECK_FALSE(faq::has_chinese(e.question_en));
    CHECK(e.answer_en.size() > 80);  // an answer that teaches, not a one-liner
    if (e.link.empty()) continue;
    const std::string file = e.link.substr(0, e.link.find('#'));
    REQUIRE(fs::is_regular_file(fs::path(DL_SOURCE_DIR) / file));
    if (e.link.find('#') != std::string::npos) {
      const std::string label = e.link.substr(e.link.find('#') + 1);
      CHECK(read_text(fs::path(DL_SOURCE_DIR) / file).find("(" + label + ")=") != std::string::npos);
    }
  }
}

TEST_CASE("faq lookup: held-out questions find their entry (top-1 >= 90%, top-3 >= 97%)", "[faq]") {
  const auto queries = labelled_queries();
  REQUIRE(queries.size() >= 60);
  size_t top1 = 0, top3 = 0;
  std::string misses;
  for (const auto& [query, id] : queries) {
    const auto hits = index().search(query, 3);
    const auto rank = std::find_if(hits.begin(), hits.end(), [&, &id = id](const auto& h) { return index().entries()[h.entry].id == id; });
    top1 += !hits.empty() && index().entries()[hits[0].entry].id == id;
    top3 += rank != hits.end();
    if (hits.empty() || index().entries()[hits[0].entry].id != id)
      misses += "\n  " + query + " -> " + (hits.empty() ? "nothing" : index().entries()[hits[0].entry].id) + " (want " + id + ")";
  }
  INFO("misses:" << misses);
  CHECK(static_cast<double>(top1) / static_cast<double>(queries.size()) >= 0.90);
  CHECK(static_cast<double>(top3) / static_cast<double>(queries.size()) >= 0.97);
}

TEST_CASE("faq lookup: the held-out queries are not copies of questions or keywords", "[faq]") {
  std::map<std::string, const faq::Entry*> by_id;
  for (const faq::Entry& e : index().entries()) by_id[e.id] = &e;
  for (const auto& [query, id] : labelled_queries()) {
    INFO(query);
    REQUIRE(by_id.contains(id));
    const faq::Entry& e = *by_id[id];
    CHECK(lower(query) != lower(e.question_en));
    CHECK(query != e.question_zh);
    for (const std::string& k : e.keywords) CHECK(lower(query) != lower(k));
  }
}

TEST_CASE("faq lookup: unrelated questions score below the no-match threshold", "[faq]") {
  for (const char* q : {"banana bread recipe", "asdfgh qwerty zxcv", "who won the football world cup", "今天天气怎么样"}) {
    INFO(q);
    const auto hits = index().search(q, 1);
    CHECK((hits.empty() || hits[0].score < faq::kMinScore));
  }
}

TEST_CASE("faq text: tokens, aliases and typo distance", "[faq]") {
  CHECK(faq::tokenize("Learning networks") == std::vector<std::string>{"learn", "network"});
  CHECK(faq::tokenize("卷积网络") == std::vector<std::string>{"卷", "积", "卷积", "网", "积网", "络", "网络"});
  CHECK_THAT(faq::expand_aliases("what is a CNN?"), Catch::Contains("卷积神经网络"));
  CHECK_THAT(faq::expand_aliases("卷积神经网络"), Catch::Contains("convnet"));
  CHECK(faq::expand_aliases("a pdf file") == "a pdf file");  // "tf" only as a whole word
  CHECK(faq::edit_distance("convolutoinal", "convolutional", 1) == 1);  // a swap is one edit
  CHECK(faq::edit_distance("learnig", "learning", 1) == 1);
  CHECK(faq::edit_distance("pooling", "padding", 1) == 2);
}

TEST_CASE("faq lookup: any byte sequence is handled without a crash", "[faq][errors]") {
  dl::Generator gen(5);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(gen.below(40), '\0');
    for (char& c : bytes) c = static_cast<char>(gen.below(256));
    CHECK_NOTHROW(index().search(bytes, 3));
  }
  CHECK_NOTHROW(index().search("\xe5\x8d", 3));  // a cut-off Chinese character
  CHECK_NOTHROW(index().search("", 3));
}

TEST_CASE("faq source: a broken file is a FileError naming the path and the entry", "[faq][errors]") {
  test::TempDir dir;
  const auto load = [&](const std::string& text) {
    std::ofstream(dir.file("faq.json")) << text;
    return faq::load_entries(dir.file("faq.json"));
  };
  const std::string good =
      R"({"id":"x","chapter":"book","link":"","question_en":"q","question_zh":"问","answer_en":"a","answer_zh":"答","keywords":[]})";
  CHECK_NOTHROW(load(R"({"entries":[)" + good + "]}"));
  CHECK_THROWS_WITH(load(R"({"entries":[)" + good + "," + good + "]}"), Catch::Contains("duplicate id \"x\""));
  CHECK_THROWS_WITH(load(R"({"entries":[{"id":"x"}]})"), Catch::Contains("faq.json") && Catch::Contains("\"chapter\""));
  CHECK_THROWS_WITH(load("{\"entries\": [}"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(load(R"({"entries":[]})"), Catch::Contains("no entries"));
  CHECK_THROWS_AS(faq::load_entries(dir.file("missing.json")), dl::FileError);
}

TEST_CASE("faq page: every entry appears once, linkable by id, in both languages", "[faq]") {
  const std::string page = faq::to_markdown(index().entries());
  for (const faq::Entry& e : index().entries()) {
    INFO(e.id);
    const std::string target = "(faq-" + e.id + ")=";
    REQUIRE(page.find(target) != std::string::npos);
    CHECK(page.find(target, page.find(target) + 1) == std::string::npos);
    CHECK(page.find(e.question_zh) != std::string::npos);
    CHECK(page.find(e.answer_en) != std::string::npos);
  }
  CHECK(page.find("## Chapter 01-deep-learning") < page.find("## Chapter 02-cnn"));
}

TEST_CASE("faq links: each lesson lists every FAQ entry of its chapter", "[faq]") {
  for (const faq::Entry& e : index().entries()) {
    const fs::path lesson = fs::path(DL_SOURCE_DIR) / "chapters" / e.chapter / "lesson.md";
    if (!fs::exists(lesson)) continue;  // chapters not written yet
    INFO(e.id << " in " << lesson.string());
    CHECK(read_text(lesson).find("<faq-" + e.id + ">") != std::string::npos);
  }
}

TEST_CASE("faq answers: run numbers are read from the results, as on the website", "[faq]") {
  test::TempDir dir;
  fs::create_directories(dir.file("02-cnn"));
  std::ofstream(dir.file("02-cnn/summary.json"))
      << R"({"test_accuracy": 0.91354, "parameters": 421642, "train_seconds": 132.84,
            "per_class_accuracy": {"Shirt": 0.733}, "confusion": [[1, 2], [30, 4]], "name": "cnn"})";
  const auto render = [&](const std::string& text, bool chinese = false) {
    return faq::render_results(text, dir.str(), chinese);
  };
  CHECK(render("reaches {result}`02-cnn:test_accuracy:pct2` and {result}`02-cnn:test_accuracy:pct`.") ==
        "reaches 91.35% and 91.4%.");
  CHECK(render("{result}`02-cnn:parameters:int` in {result}`02-cnn:train_seconds:seconds`") ==
        "421,642 in 132.8 seconds");
  CHECK(render("{result}`02-cnn:per_class_accuracy.Shirt:f2`, {result}`02-cnn:confusion.1.0:f0`") == "0.73, 30");
  // Not run yet, a missing key, or a member that is not a number: a note, never a made-up number.
  CHECK(render("{result}`01-deep-learning:test_accuracy:pct`") == "(not run yet)");
  CHECK(render("{result}`02-cnn:no_such_key:pct`") == "(not run yet)");
  CHECK(render("{result}`02-cnn:name:pct`", true) == "（尚未运行）");
  CHECK(render("{result}`02-cnn:confusion.7.0:int`") == "(not run yet)");
  // For the index the references go and the words stay.
  CHECK(faq::render_results("a {result}`02-cnn:test_accuracy:pct2` b", "", false) == "a  b");
  // Malformed references are errors, and load_entries names the entry.
  CHECK_THROWS_WITH(render("{result}`02-cnn:test_accuracy`"), Catch::Contains("RUN:KEY:FORMAT"));
  CHECK_THROWS_WITH(render("{result}`02-cnn:test_accuracy:percent`"), Catch::Contains("unknown format 'percent'"));
  CHECK_THROWS_WITH(render("{result}`02-cnn:test_accuracy:pct"), Catch::Contains("unclosed"));
  std::ofstream(dir.file("faq.json"))
      << R"({"entries":[{"id":"x","chapter":"book","link":"","question_en":"q","question_zh":"问",)"
      << R"("answer_en":"{result}`02-cnn:test_accuracy:percent`","answer_zh":"答","keywords":[]}]})";
  CHECK_THROWS_WITH(faq::load_entries(dir.file("faq.json")), Catch::Contains("entry 0 (x)") && Catch::Contains("percent"));
}
