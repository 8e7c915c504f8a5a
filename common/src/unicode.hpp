// Unicode character properties and case/normalisation for the tokenizers, from ICU.
// Private to the library: tokenize.hpp's users never see ICU.
#pragma once

#include <string>

namespace dl::unicode {

/// \p{L}: any letter (general category L*).
bool is_letter(char32_t c);
/// \p{N}: any number (general category N*).
bool is_number(char32_t c);
/// The Unicode White_Space property: what `\s` matches in the `regex` module that
/// GPT-2's pattern ran on (25 code points; U+001C..U+001F are not among them).
bool is_white_space(char32_t c);
/// Python's str.isspace (what str.split() splits on, as BERT's tokenizer does): category
/// Zs, or bidirectional class WS, B or S (which adds U+001C..U+001F to White_Space).
bool is_python_space(char32_t c);
/// The general category starts with C: control, format, surrogate, private use, unassigned.
bool is_other(char32_t c);
/// Category Zs (space separator).
bool is_space_separator(char32_t c);
/// Category Mn (nonspacing mark), what stripping accents drops after NFD.
bool is_nonspacing_mark(char32_t c);
/// The general category starts with P (punctuation).
bool is_punctuation(char32_t c);
/// Full lower-case mapping, locale-independent (as Python's str.lower()).
std::u32string to_lower(const std::u32string& text);
/// Canonical decomposition (NFD).
std::u32string nfd(const std::u32string& text);

}  // namespace dl::unicode
