// UTF-8 and fortune files: decoding accepts exactly what encodes back to the same
// bytes; a fortune file's entries are valid UTF-8.
#include <dl/error.hpp>
#include <dl/text.hpp>
#include <dl/utf8.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const std::u32string cps = dl::decode_utf8(bytes);
    fuzz::require(dl::encode_utf8(cps) == bytes, "decoded UTF-8 encodes back to the same bytes");
  } catch (const dl::Error&) {
  }
  try {
    for (const dl::data::TextEntry& e : dl::data::read_fortunes(fuzz::as_file(data, size)))
      dl::decode_utf8(e.title + e.author + e.body);  // throws, and so stops, if an entry is not UTF-8
  } catch (const dl::FileError&) {
  }
  return 0;
}
