/// @file utf8.hpp
/// @brief UTF-8 encoding and strict decoding, shared by the text corpora and the FAQ.
#pragma once

#include <string>
#include <string_view>

namespace dl {

/// Appends the UTF-8 encoding of code point `cp` to `out`.
void append_utf8(std::string& out, char32_t cp);

/// UTF-8 encoding of code points.
std::string encode_utf8(std::u32string_view text);

/// The code points of UTF-8 `text`; throws FileError naming `origin` and the byte
/// offset of the first invalid sequence (overlong forms and surrogates included).
std::u32string decode_utf8(std::string_view text, const std::string& origin = "text");

}  // namespace dl
