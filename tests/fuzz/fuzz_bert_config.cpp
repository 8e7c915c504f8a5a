// Chapter 04's BERT config.json reader: any bytes are a configuration that validates and
// writes back to the same JSON, or a dl::Error (FileError) naming what is wrong. Nothing is
// allocated from the sizes it reads.
#include <nlohmann/json.hpp>

#include <dl/error.hpp>

#include "bert.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {
    return 0;  // not JSON: the program's reader (dl::app::read_json_file) refuses it before here
  }
  try {
    const ch04::BertConfig c = ch04::BertConfig::from_json(j, "config.json");
    c.validate();  // accepted means valid
    const ch04::BertConfig back = ch04::BertConfig::from_json(c.to_json(), "config.json");
    fuzz::require(back.to_json() == c.to_json(), "an accepted config writes back to the same JSON");
  } catch (const dl::Error&) {
  }
  return 0;
}
