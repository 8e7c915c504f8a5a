// IDX files, plain or gzip: any bytes are an array whose size matches its dimensions,
// or a FileError.
#include <dl/data.hpp>
#include <dl/error.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const dl::data::IdxArray a = dl::data::read_idx(fuzz::as_file(data, size));
    size_t n = 1;
    for (auto d : a.dims) n *= static_cast<size_t>(d);
    fuzz::require(n == a.bytes.size(), "the payload holds exactly the elements the dimensions promise");
  } catch (const dl::Error&) {
  }
  return 0;
}
