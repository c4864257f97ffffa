#include "core/utf8.h"

namespace kiosk::utf8 {
namespace {

// Length of the well-formed sequence at s[i], or 0 (RFC 3629 table).
std::size_t sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < left && b(k) >= lo && b(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Invisible format characters that reorder or hide text: zero-width
// (U+200B–200F), line and paragraph separators (U+2028–2029), bidi embeddings
// and overrides (U+202A–202E), bidi isolates (U+2066–2069) and the BOM (U+FEFF).
// "invoice\u202efdp.exe.pdf" would otherwise show as "invoicefdp.exe.pdf" reversed.
bool isFormatControl(std::string_view s, std::size_t i, std::size_t n) {
  if (n != 3) return false;
  const auto b1 = static_cast<unsigned char>(s[i]);
  const auto b2 = static_cast<unsigned char>(s[i + 1]);
  const auto b3 = static_cast<unsigned char>(s[i + 2]);
  if (b1 == 0xEF) return b2 == 0xBB && b3 == 0xBF;
  if (b1 != 0xE2) return false;
  if (b2 == 0x80) return (b3 >= 0x8B && b3 <= 0x8F) || (b3 >= 0xA8 && b3 <= 0xAE);
  return b2 == 0x81 && b3 >= 0xA6 && b3 <= 0xA9;
}

}  // namespace

bool isValid(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string clean(std::string_view s, bool drop_controls, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence(s, i);
    if (n == 0) {
      ++i;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    const bool c0 = n == 1 && (c < 0x20 || c == 0x7F);
    const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    const bool newline = c == '\n' || c == '\t';
    if (!drop_controls || !(c0 || c1 || isFormatControl(s, i, n)) || (keep_newlines && newline))
      out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

char32_t decode(std::string_view s, std::size_t& i) {
  const std::size_t n = sequence(s, i);
  if (n == 0) {
    ++i;
    return 0xFFFD;
  }
  const auto c = static_cast<unsigned char>(s[i]);
  char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  i += n;
  return cp;
}

std::size_t length(std::string_view s) {
  std::size_t count = 0;
  for (char c : s) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::string_view truncate(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace kiosk::utf8
