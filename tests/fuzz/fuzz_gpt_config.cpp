// Chapter 05's GPT-2 config.json reader (dl::nn::GPTConfig::from_json): any bytes are a
// configuration that validates and writes back to the same JSON, or a dl::Error (FileError)
// naming what is wrong. Nothing is allocated from the sizes it reads.
#include <string>

#include <dl/error.hpp>
#include <dl/gpt.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const dl::nn::GPTConfig c = dl::nn::GPTConfig::from_json(text, "config.json");
    c.validate();  // accepted means valid
    const dl::nn::GPTConfig back = dl::nn::GPTConfig::from_json(c.to_json(), "config.json");
    fuzz::require(back.to_json() == c.to_json(), "an accepted config writes back to the same JSON");
  } catch (const dl::Error&) {
  }
  return 0;
}
