// utf8: validation, cleaning, decoding, length and truncation, the checks
// every typed text and file name goes through.
#include "core/utf8.h"

#include <catch2/catch.hpp>

using namespace kiosk;

TEST_CASE("utf8: well-formed text is valid, overlongs and surrogates and cut sequences are not",
          "[utf8]") {
  CHECK(utf8::isValid(""));
  CHECK(utf8::isValid("Perché è già così € 😀"));
  CHECK(utf8::isValid("\xF4\x8F\xBF\xBF"));        // U+10FFFF, the last code point
  CHECK_FALSE(utf8::isValid("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(utf8::isValid("\xC0\xAF"));          // overlong "/"
  CHECK_FALSE(utf8::isValid("\xE0\x80\xAF"));      // overlong, three bytes
  CHECK_FALSE(utf8::isValid("\xED\xA0\x80"));      // a UTF-16 surrogate
  CHECK_FALSE(utf8::isValid("caff\xE8"));          // Latin-1
  CHECK_FALSE(utf8::isValid("\xE2\x82"));          // cut short
  CHECK_FALSE(utf8::isValid("\x80"));              // a lone continuation byte
}

TEST_CASE("utf8: clean drops ill-formed bytes, controls and invisible format characters",
          "[utf8]") {
  CHECK(utf8::clean("caff\xE8 ok", false, false) == "caff ok");
  CHECK(utf8::clean("a\xC0\xAF"
                    "b",
                    false, false) == "ab");
  CHECK(utf8::clean("riga\nuno\tdue\r\x01\x7f", true, true) == "riga\nuno\tdue");
  CHECK(utf8::clean("riga\nuno\tdue", true, false) == "rigaunodue");
  CHECK(utf8::clean("a\xC2\x85"
                    "b",
                    true, false) == "ab");                                            // C1 NEL
  CHECK(utf8::clean("fattura\xE2\x80\xAEpdf.exe", true, false) == "fatturapdf.exe");  // RLO
  CHECK(utf8::clean("zero\xE2\x80\x8Bwidth\xEF\xBB\xBF", true, false) == "zerowidth");
  CHECK(utf8::clean("Perché € 😀", true, false) == "Perché € 😀");
}

TEST_CASE("utf8: decode walks code points, length counts them, truncate never cuts one", "[utf8]") {
  const std::string s = "aè€😀";
  std::size_t i = 0;
  CHECK(utf8::decode(s, i) == U'a');
  CHECK(utf8::decode(s, i) == U'è');
  CHECK(utf8::decode(s, i) == U'€');
  CHECK(utf8::decode(s, i) == U'😀');
  CHECK(i == s.size());
  std::size_t j = 0;
  CHECK(utf8::decode("\xFF"
                     "a",
                     j) == 0xFFFD);
  CHECK(j == 1);
  CHECK(utf8::length(s) == 4);
  CHECK(utf8::length("") == 0);
  for (std::size_t max = 0; max <= s.size() + 1; ++max) {
    const auto cut = utf8::truncate(s, max);
    CHECK(cut.size() <= max);
    CHECK(utf8::isValid(cut));
  }
  CHECK(utf8::truncate(s, 2) == "a");  // not half of "è"
  CHECK(utf8::truncate(s, 3) == "aè");
  CHECK(utf8::truncate(s, 100) == s);
}
