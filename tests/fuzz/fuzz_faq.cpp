// The FAQ: any bytes as a question search without a crash and return known entries in
// falling score order; any bytes as the FAQ source load or give a FileError.
#include <dl/error.hpp>

#include "faq.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const faq::Index index(faq::load_entries(DL_FAQ_SOURCE));
  const std::string query(reinterpret_cast<const char*>(data), size);
  const std::vector<faq::Index::Hit> hits = index.search(query, 5);
  for (size_t i = 0; i < hits.size(); ++i) {
    fuzz::require(hits[i].entry < index.entries().size(), "a hit is an entry");
    fuzz::require(i == 0 || hits[i - 1].score >= hits[i].score, "hits fall in score");
  }
  try {
    faq::Index(faq::load_entries(fuzz::as_file(data, size))).search("what is a cnn", 3);
  } catch (const dl::Error&) {
  }
  return 0;
}
