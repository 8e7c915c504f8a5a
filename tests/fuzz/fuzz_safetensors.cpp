// safetensors: any bytes are a checkpoint or a FileError; a loaded checkpoint saves and
// loads back the same, and building chapter 03's model from its shapes never allocates
// what a product that wrapped around would ask for.
#include <dl/error.hpp>
#include <dl/io.hpp>
#include <dl/nn.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dl::NamedTensors tensors;
  std::map<std::string, std::string> metadata;
  try {
    tensors = dl::load_safetensors(fuzz::as_file(data, size), &metadata);
  } catch (const dl::Error&) {
    return 0;
  }
  for (const auto& [name, t] : tensors) {
    fuzz::require(t.defined(), "a loaded tensor is defined");
    // A model built from a loaded shape: the sizes are checked, never wrapped.
    if (t.dim() == 2) {
      try {
        dl::nn::Linear layer(t.size(1), t.size(0));
        layer.load_state_dict({{"weight", t}, {"bias", layer.bias}});
      } catch (const dl::Error&) {
      }
    }
  }
  const std::string again = "/tmp/dl-fuzz-resave." + std::to_string(::getpid());
  try {
    dl::save_safetensors(again, tensors, metadata);
  } catch (const dl::Error&) {
    return 0;  // e.g. a name the format reserves
  }
  const dl::NamedTensors reloaded = dl::load_safetensors(again);
  fuzz::require(reloaded.size() == tensors.size(), "a saved checkpoint loads back whole");
  return 0;
}
