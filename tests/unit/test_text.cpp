// Fortune files, UTF-8 decoding, the character vocabulary and the entry split.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dl/tensor.hpp"
#include "dl/text.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;

namespace {
std::string write(const test::TempDir& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir.file(name), std::ios::binary) << bytes;
  return dir.file(name);
}
}  // namespace

TEST_CASE("fortunes: colour codes go, entries split on %, poems keep title and author", "[text]") {
  test::TempDir dir;
  const std::string path = write(dir, "poems",
                                 "\x1b[32m《静夜思》\x1b[m\n\x1b[33m作者：李白\x1b[m\n床前明月光，\n疑是地上霜。\n%\n"
                                 "\x1b[32m题目:《寒食》\x1b[m\n\x1b[33m作者:王禹偁\x1b[m\n今年寒食在商山。\n%\n"
                                 "A plain entry\nwith two lines.\n\n%\n");
  const auto entries = dl::data::read_fortunes(path);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].title == "静夜思");
  CHECK(entries[0].author == "李白");
  CHECK(entries[0].body == "床前明月光，\n疑是地上霜。");
  CHECK(entries[1].title == "寒食");
  CHECK(entries[1].author == "王禹偁");
  CHECK(entries[2].title.empty());
  CHECK(entries[2].body == "A plain entry\nwith two lines.");
  CHECK(dl::data::strip_ansi("\x1b[1;33mX\x1b[m\x1b[") == "X\x1b[");  // an unfinished code stays
}

TEST_CASE("fortunes: missing file, invalid UTF-8 and empty files are FileErrors that say why", "[text][errors]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(dl::data::read_fortunes(dir.file("nope")), Contains("fortunes-zh") && Contains("--data"));
  CHECK_THROWS_WITH(dl::data::read_fortunes(write(dir, "bad", "ok\n\xff\xfe\n")),
                    Contains("bad") && Contains("byte offset 3"));
  CHECK_THROWS_WITH(dl::data::read_fortunes(write(dir, "empty", "%\n\n%\n")), Contains("no entries"));
}

TEST_CASE("utf-8: decodes what it encodes and rejects malformed sequences with their offset", "[text]") {
  const std::u32string text = U"a春\u00e9\U0001F600";
  CHECK(dl::decode_utf8(dl::encode_utf8(text)) == text);
  for (const auto& [bytes, offset] : std::vector<std::pair<std::string, int>>{
           {"ab\xc0\xaf", 2},        // overlong '/'
           {"\xed\xa0\x80", 0},      // a UTF-16 surrogate
           {"x\xe6\x98", 1},         // cut off
           {"\x80", 0},              // a lone continuation byte
           {"\xf4\x90\x80\x80", 0}}) // past U+10FFFF
    CHECK_THROWS_WITH(dl::decode_utf8(bytes, "t"), Contains("byte offset " + std::to_string(offset)));
}

TEST_CASE("char vocab: <unk> is 0, ids by falling frequency, unknown characters map to 0", "[text]") {
  const dl::data::CharVocab vocab(U"春风春雨春", 1);
  CHECK(vocab.size() == 4);
  CHECK(vocab.id(U'春') == 1);
  CHECK(vocab.counts()[1] == 3);
  CHECK(vocab.id(U'秋') == dl::data::CharVocab::kUnknown);
  CHECK(vocab.decode(vocab.encode(U"春雨")) == "春雨");
  const dl::data::CharVocab rare(U"春风春雨春", 2);
  CHECK(rare.size() == 2);
  CHECK(rare.counts()[0] == 2);  // 风 and 雨 became <unk>
  CHECK_THROWS_AS(vocab.character(9), dl::Error);
}

TEST_CASE("split: whole entries, deterministic for a seed, sizes as asked", "[text]") {
  std::vector<dl::data::TextEntry> entries(100);
  for (size_t i = 0; i < entries.size(); ++i) entries[i].body = std::to_string(i);
  std::vector<dl::data::TextEntry> train, val, train2, val2;
  dl::data::split_entries(entries, 0.05, 7, train, val);
  dl::data::split_entries(entries, 0.05, 7, train2, val2);
  CHECK(val.size() == 5);
  CHECK(train.size() == 95);
  CHECK(val[0].body == val2[0].body);
  CHECK_THROWS_AS(dl::data::split_entries(entries, 1.0, 7, train, val), dl::Error);
}

TEST_CASE("fortunes-zh: the installed poems and collection read cleanly", "[text]") {
  const std::string dir = dl::data::kFortunesDir;
  if (!std::filesystem::exists(dir + "/tang300")) {
    WARN("fortunes-zh is not installed; skipping");
    return;
  }
  const auto tang = dl::data::read_fortunes(dir + "/tang300");
  const auto song = dl::data::read_fortunes(dir + "/song100");
  const auto chinese = dl::data::read_fortunes(dir + "/chinese");
  CHECK(tang.size() >= 300);
  CHECK(song.size() >= 90);
  CHECK(chinese.size() > 5000);
  CHECK_FALSE(tang[0].title.empty());
  CHECK_FALSE(tang[0].author.empty());
  int64_t characters = 0;
  for (const auto* set : {&tang, &song, &chinese})
    for (const auto& e : *set) characters += static_cast<int64_t>(dl::decode_utf8(e.body).size());
  CHECK(characters > 500000);
}

TEST_CASE("CharVocab: characters() and from_characters() round-trip the ids, repeats are rejected", "[text]") {
  const dl::data::CharVocab vocab(U"春眠不觉晓春眠春");
  const auto copy = dl::data::CharVocab::from_characters(dl::decode_utf8(vocab.characters()));
  REQUIRE(copy.size() == vocab.size());
  for (int id = 0; id < vocab.size(); ++id) CHECK(copy.character(id) == vocab.character(id));
  CHECK(copy.id(U'春') == 1);  // the most frequent character
  CHECK(copy.id(U'雪') == dl::data::CharVocab::kUnknown);
  CHECK_THROWS_WITH(dl::data::CharVocab::from_characters(U"春眠春"), Catch::Contains("'春' is listed twice"));
}
