// Chapter 05's vocab.json reader (ch05::read_vocab): any bytes are the characters of a
// vocabulary, one per id with none repeated, that writes back and reads to the same
// characters, or a dl::Error (FileError) naming what is wrong.
#include <set>
#include <string>

#include <dl/error.hpp>
#include <dl/utf8.hpp>
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "gpt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const std::u32string characters = ch05::read_vocab(text, "vocab.json");
    const std::set<char32_t> distinct(characters.begin(), characters.end());
    fuzz::require(distinct.size() == characters.size(), "an accepted vocabulary has each character once");
    nlohmann::json back = {{"<unk>", 0}};
    for (size_t i = 0; i < characters.size(); ++i) back[dl::encode_utf8(std::u32string(1, characters[i]))] = i + 1;
    fuzz::require(ch05::read_vocab(back.dump(), "vocab.json") == characters, "an accepted vocabulary reads back the same");
  } catch (const dl::Error&) {
  }
  return 0;
}
