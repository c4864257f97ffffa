#include "core/codice_fiscale.h"

#include <array>
#include <cctype>

namespace kiosk::cf {
namespace {

constexpr std::string_view kMonths = "ABCDEHLMPRST";
constexpr std::string_view kOmocodia = "LMNPQRSTUV";  // stand for 0..9
constexpr std::array<int, 12> kMonthDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
// Value of A..Z (and of 0..9, which share the values of A..J) in odd positions.
constexpr std::array<int, 26> kOdd = {1,  0,  5, 7, 9, 13, 15, 17, 19, 21, 2,  4,  18,
                                      20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23};

bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Positions (0-based) that hold digits, or omocodia letters standing for them.
constexpr std::array<int, 7> kDigitPositions = {6, 7, 9, 10, 12, 13, 14};

int digitValue(char c) {
  if (isDigit(c)) return c - '0';
  const auto pos = kOmocodia.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::string normalize(std::string_view input) {
  std::string out;
  for (char c : input) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

char checkCharacter(std::string_view first15) {
  int sum = 0;
  for (std::size_t i = 0; i < 15; ++i) {
    const char c = first15[i];
    const int index = isDigit(c) ? c - '0' : c - 'A';
    sum += (i % 2 == 0) ? kOdd[static_cast<std::size_t>(index)] : index;
  }
  return static_cast<char>('A' + sum % 26);
}

Problem check(std::string_view code) {
  if (code.size() != 16) return Problem::kLength;
  for (int i : {0, 1, 2, 3, 4, 5, 8, 11, 15}) {
    if (!isUpper(code[static_cast<std::size_t>(i)])) return Problem::kFormat;
  }
  for (int i : kDigitPositions) {
    if (digitValue(code[static_cast<std::size_t>(i)]) < 0) return Problem::kFormat;
  }
  const auto month = kMonths.find(code[8]);
  if (month == std::string_view::npos) return Problem::kMonth;
  int day = digitValue(code[9]) * 10 + digitValue(code[10]);
  if (day > 40) day -= 40;
  if (day < 1 || day > kMonthDays[month]) return Problem::kDay;
  if (checkCharacter(code.substr(0, 15)) != code[15]) return Problem::kCheckCharacter;
  return Problem::kNone;
}

std::string describe(Problem p) {
  switch (p) {
    case Problem::kNone:
      return "codice fiscale valido";
    case Problem::kLength:
      return "il codice fiscale deve avere 16 caratteri";
    case Problem::kFormat:
      return "il codice fiscale ha lettere e cifre nelle posizioni sbagliate";
    case Problem::kMonth:
      return "la lettera del mese di nascita non è valida";
    case Problem::kDay:
      return "il giorno di nascita non è valido";
    case Problem::kCheckCharacter:
      return "il carattere di controllo non corrisponde";
  }
  return "codice fiscale non valido";
}

}  // namespace kiosk::cf
