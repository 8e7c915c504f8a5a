// Unicode properties, lower-casing and NFD through ICU (libicu-dev), so the tokenizers
// follow the Unicode tables rather than hand-written ranges.
#include "unicode.hpp"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "dl/error.hpp"

namespace dl::unicode {

namespace {

uint32_t category_mask(char32_t c) { return U_GET_GC_MASK(static_cast<UChar32>(c)); }

icu::UnicodeString to_icu(const std::u32string& text) {
  return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()), static_cast<int32_t>(text.size()));
}

std::u32string from_icu(const icu::UnicodeString& text) {
  std::u32string out(static_cast<size_t>(text.countChar32()), U'\0');
  UErrorCode status = U_ZERO_ERROR;
  text.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), status);
  if (U_FAILURE(status)) throw Error(std::string("unicode: conversion from ICU failed: ") + u_errorName(status));
  return out;
}

}  // namespace

bool is_letter(char32_t c) { return (category_mask(c) & U_GC_L_MASK) != 0; }
bool is_number(char32_t c) { return (category_mask(c) & U_GC_N_MASK) != 0; }
bool is_other(char32_t c) { return (category_mask(c) & U_GC_C_MASK) != 0; }
bool is_space_separator(char32_t c) { return (category_mask(c) & U_GC_ZS_MASK) != 0; }
bool is_nonspacing_mark(char32_t c) { return (category_mask(c) & U_GC_MN_MASK) != 0; }
bool is_punctuation(char32_t c) { return (category_mask(c) & U_GC_P_MASK) != 0; }

bool is_white_space(char32_t c) { return u_isUWhiteSpace(static_cast<UChar32>(c)) != 0; }

bool is_python_space(char32_t c) {
  if (is_space_separator(c)) return true;
  const UCharDirection d = u_charDirection(static_cast<UChar32>(c));
  return d == U_WHITE_SPACE_NEUTRAL || d == U_BLOCK_SEPARATOR || d == U_SEGMENT_SEPARATOR;
}

std::u32string to_lower(const std::u32string& text) {
  icu::UnicodeString s = to_icu(text);
  s.toLower(icu::Locale::getRoot());
  return from_icu(s);
}

std::u32string nfd(const std::u32string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) throw Error(std::string("unicode: no NFD normaliser: ") + u_errorName(status));
  const icu::UnicodeString out = normalizer->normalize(to_icu(text), status);
  if (U_FAILURE(status)) throw Error(std::string("unicode: NFD failed: ") + u_errorName(status));
  return from_icu(out);
}

}  // namespace dl::unicode
