// UTF-8 helpers: validation, cleaning, length in code points and truncation
// on a character boundary. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kiosk::utf8 {

bool isValid(std::string_view s);

// A continuation byte (10xxxxxx): not the first byte of a character.
constexpr bool isContinuation(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// Drops every byte that is not part of a well-formed sequence (overlongs and
// surrogates included) and, when `drop_controls`, the C0/C1 controls and DEL
// (keeping \n and \t only when `keep_newlines`) and the invisible format
// characters that reorder or hide text (zero-width, bidi controls, BOM).
std::string clean(std::string_view s, bool drop_controls, bool keep_newlines);

// The code point at s[i], moving i past it; an ill-formed byte gives U+FFFD
// and moves i by one.
char32_t decode(std::string_view s, std::size_t& i);

// Code points in a valid string.
std::size_t length(std::string_view s);

// The longest prefix of at most `max_bytes` that ends on a character boundary.
std::string_view truncate(std::string_view s, std::size_t max_bytes);

}  // namespace kiosk::utf8
