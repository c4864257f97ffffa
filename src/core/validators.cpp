#include "core/validators.h"

#include <algorithm>
#include <cctype>

#include "core/utf8.h"

namespace kiosk::validate {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool validLocalPart(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '.' || s.back() == '.') return false;
  if (s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return isAlnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
  });
}

bool validDomain(std::string_view s) {
  if (s.size() < 3 || s.size() > 253) return false;
  std::size_t start = 0;
  int labels = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    const auto label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; })) {
      return false;
    }
    ++labels;
    start = end + 1;
  }
  return labels >= 2;
}

std::string digitsOnly(std::string_view s, std::string_view allowedSeparators) {
  std::string out;
  for (char c : s) {
    if (allowedSeparators.find(c) != std::string_view::npos) continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::optional<std::string> email(std::string_view input) {
  std::string s = trim(input);
  if (s.empty() || s.size() > 254) return std::nullopt;
  const auto at = s.rfind('@');
  if (at == std::string::npos || s.find('@') != at) return std::nullopt;
  std::string domain = s.substr(at + 1);
  std::transform(domain.begin(), domain.end(), domain.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!validLocalPart(std::string_view(s).substr(0, at)) || !validDomain(domain)) {
    return std::nullopt;
  }
  return s.substr(0, at + 1) + domain;
}

std::optional<std::string> mobile(std::string_view input) {
  std::string s = digitsOnly(trim(input), " .-/");
  if (s.starts_with("+39")) {
    s.erase(0, 3);
  } else if (s.starts_with("0039")) {
    s.erase(0, 4);
  }
  if (s.size() < 9 || s.size() > 10 || s.front() != '3') return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), isDigit)) return std::nullopt;
  return "+39" + s;
}

std::optional<std::string> phone(std::string_view input) {
  std::string s = digitsOnly(trim(input), " .-/()");
  const bool plus = !s.empty() && s.front() == '+';
  const std::string_view digits = plus ? std::string_view(s).substr(1) : std::string_view(s);
  if (digits.size() < 6 || digits.size() > 15) return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), isDigit)) return std::nullopt;
  return s;
}

bool pin(std::string_view input) {
  return input.size() >= 8 && input.size() <= 16 &&
         std::all_of(input.begin(), input.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

bool staffPassword(std::string_view input) {
  if (input.size() > 128) return false;
  // Count UTF-8 characters, not bytes.
  const auto chars =
      std::count_if(input.begin(), input.end(), [](char c) { return !utf8::isContinuation(c); });
  return chars >= 12;
}

bool username(std::string_view input) {
  return input.size() >= 3 && input.size() <= 32 &&
         std::all_of(input.begin(), input.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || isDigit(c) || c == '.' || c == '_' || c == '-';
         });
}

}  // namespace kiosk::validate
