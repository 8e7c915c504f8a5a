// UTF-8: encoding, and decoding that rejects every malformed sequence.
#include "dl/utf8.hpp"

#include "dl/tensor.hpp"

namespace dl {

std::u32string decode_utf8(std::string_view text, const std::string& origin) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  const auto fail = [&](size_t at) {
    throw FileError(origin + ": invalid UTF-8 at byte offset " + std::to_string(at) +
                    " (expected a valid sequence; is the file in another encoding such as GBK?)");
  };
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    char32_t cp = 0;
    if (b0 < 0x80) { length = 1; cp = b0; }
    else if ((b0 >> 5) == 0x6) { length = 2; cp = b0 & 0x1F; }
    else if ((b0 >> 4) == 0xE) { length = 3; cp = b0 & 0x0F; }
    else if ((b0 >> 3) == 0x1E) { length = 4; cp = b0 & 0x07; }
    else { fail(i); }
    if (i + length > text.size()) fail(i);
    for (size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) fail(i);
      cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong encodings, surrogates and values past U+10FFFF are invalid too.
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[length] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) fail(i);
    out += cp;
    i += length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  for (char32_t cp : text) append_utf8(out, cp);
  return out;
}

}  // namespace dl
