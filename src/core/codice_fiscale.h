// Validation of the Italian codice fiscale of a natural person (DM 23/12/1976):
// 16 characters, surname and name letters, year, month letter, day (+40 for
// women, checked against the month's length), place code, check character.
// Omocodia: the digits of year, day and place may be replaced by the letters
// LMNPQRSTUV. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kiosk::cf {

enum class Problem {
  kNone,
  kLength,          // not 16 characters
  kFormat,          // a letter where a digit belongs or the reverse
  kMonth,           // month letter not in ABCDEHLMPRST
  kDay,             // day not 1–31 / 41–71, or past the month's end
  kCheckCharacter,  // the last character does not match
};

// Upper-cases and strips surrounding spaces; does not validate.
std::string normalize(std::string_view input);

// REQUIRES: `code` already normalized.
Problem check(std::string_view code);

inline bool isValid(std::string_view code) { return check(code) == Problem::kNone; }

// The check character of the first 15 characters. REQUIRES: 15 valid characters.
char checkCharacter(std::string_view first15);

// Italian text describing the problem, for import reports and screens.
std::string describe(Problem p);

}  // namespace kiosk::cf
