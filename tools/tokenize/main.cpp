// tokenize — text to ids and back with GPT-2's or BERT's tokenizer, one JSON line at a time.
//
//   echo '{"text": "Hello world"}' | ./book tokenize --tokenizer gpt2
//       {"ids":[15496,995],"tokens":["Hello","Ġworld"]}
//   echo '{"ids": [101, 7592, 102]}' | ./book tokenize --tokenizer bert-base-uncased --decode
//       {"text":"[CLS] hello [SEP]"}
//
// --tokenizer is gpt2, bert-base-uncased (the files ./book deps fetched into build/vocab),
// a folder with encoder.json and vocab.bpe (a trained BPE), or a vocab.txt (WordPiece).
// A line that is not JSON, lacks its field or holds invalid UTF-8 gets {"error": "..."}
// on its output line; the other lines are still processed, and the exit status is 1.
#include <dl/app/program.hpp>
#include <dl/app/results.hpp>
#include <dl/tokenize.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <variant>

namespace {

using dl::app::Json;
using Tokenizer = std::variant<dl::tokenize::ByteLevelBPE, dl::tokenize::WordPiece>;

// The tokenizer NAME stands for: a built-in name, a BPE folder, or a WordPiece vocab.txt.
Tokenizer load(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path vocab = DL_VOCAB_DIR;
  if (name == "gpt2") return dl::tokenize::ByteLevelBPE::load((vocab / "gpt2").string());
  if (name == "bert-base-uncased") return dl::tokenize::WordPiece::load((vocab / "bert-base-uncased/vocab.txt").string());
  const fs::path path(name);
  if (fs::is_directory(path) && fs::exists(path / "encoder.json")) return dl::tokenize::ByteLevelBPE::load(name);
  if (fs::is_directory(path) && fs::exists(path / "vocab.txt"))
    return dl::tokenize::WordPiece::load((path / "vocab.txt").string());
  if (fs::is_regular_file(path)) return dl::tokenize::WordPiece::load(name);
  throw dl::app::UsageError("--tokenizer " + name +
                            ": expected gpt2, bert-base-uncased, a folder with encoder.json and vocab.bpe, or a vocab.txt");
}

// One input line to one output object; throws for a line it cannot take.
Json process(const Tokenizer& tokenizer, const std::string& line, bool decode) {
  Json in;
  try {
    in = Json::parse(line);
  } catch (const Json::parse_error& e) {
    // nlohmann's message ends with what was wrong: "... - invalid string: ill-formed UTF-8 byte; ..."
    const std::string what = e.what();
    const size_t dash = what.find(" - ");
    throw dl::Error("not a JSON line (byte " + std::to_string(e.byte) + ": " +
                    (dash == std::string::npos ? what : what.substr(dash + 3)) + ")");
  }
  if (decode) {
    if (!in.is_object() || !in.contains("ids") || !in["ids"].is_array())
      throw dl::Error("expected {\"ids\": [...]}");
    std::vector<int> ids;
    for (const Json& id : in["ids"]) {
      if (!id.is_number_integer() || id.get<int64_t>() < INT32_MIN || id.get<int64_t>() > INT32_MAX)
        throw dl::Error("ids must be integers, got " + id.dump());
      ids.push_back(id.get<int>());
    }
    return {{"text", std::visit([&](const auto& t) { return t.decode(ids); }, tokenizer)}};
  }
  if (!in.is_object() || !in.contains("text") || !in["text"].is_string()) throw dl::Error("expected {\"text\": \"...\"}");
  // The parser reads \uD800-style escapes into bytes that are no UTF-8; the tokenizer names them.
  const std::string text = in["text"].get<std::string>();
  return std::visit(
      [&](const auto& t) -> Json {
        const std::vector<int> ids = t.encode(text);
        return {{"ids", ids}, {"tokens", t.tokens(ids)}};
      },
      tokenizer);
}

}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("tokenize", argc, argv, [&](dl::app::Program& program) {
    std::string name;
    bool decode = false;
    CLI::App& cli = program.cli();
    cli.description("Text to ids (or back, with --decode), one JSON line per input line on stdin.");
    cli.add_option("--tokenizer", name, "gpt2, bert-base-uncased, a BPE folder or a vocab.txt")->required();
    cli.add_flag("--decode", decode, "read {\"ids\": [...]} and write {\"text\": \"...\"}");
    program.parse_own_flags();
    const Tokenizer tokenizer = load(name);
    int status = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
      Json out;
      try {
        out = process(tokenizer, line, decode);
      } catch (const dl::Error& e) {
        out = {{"error", e.what()}};
        status = 1;
      }
      std::cout << out.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
    }
    std::cout.flush();
    return status;
  });
}
