#include "domain/model.h"

#include <algorithm>

#include "core/codice_fiscale.h"
#include "core/utf8.h"

namespace kiosk::domain {

namespace {

// INPS.<branch>.<year>.<seq>, any case.
bool isWholeProtocol(std::string_view s) {
  const auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; };
  if (s.size() < 16 || upper(s[0]) != 'I' || upper(s[1]) != 'N' || upper(s[2]) != 'P' ||
      upper(s[3]) != 'S' || s[4] != '.') {
    return false;
  }
  int dots = 0;
  std::size_t digits = 0;
  for (std::size_t i = 5; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 2 && digits > 0;
}

// A Latin-1 letter (U+00C0–U+00FF) without its accent, in lower case; 0 for
// the others (× ÷ and the letters with no plain form: æ ð ø þ ß).
char foldLatin1(char32_t cp) {
  static constexpr char kFold[] =
      "aaaaaa\0ceeeeiiii\0nooooo\0\0uuuuy\0\0"  // U+00C0–U+00DF
      "aaaaaa\0ceeeeiiii\0nooooo\0\0uuuuy\0y";  // U+00E0–U+00FF
  return cp >= 0xC0 && cp <= 0xFF ? kFold[cp - 0xC0] : '\0';
}

}  // namespace

std::vector<std::string> searchWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t i = 0; i < text.size();) {
    const char32_t cp = utf8::decode(text, i);
    char c = '\0';
    if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z')) {
      c = static_cast<char>(cp);
    } else if (cp >= 'A' && cp <= 'Z') {
      c = static_cast<char>(cp + 32);
    } else {
      c = foldLatin1(cp);
    }
    if (c != '\0') {
      word.push_back(c);
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

SearchTerms searchTerms(std::string_view q) {
  SearchTerms t;
  while (!q.empty() && (q.front() == ' ' || q.front() == '\t')) q.remove_prefix(1);
  while (!q.empty() && (q.back() == ' ' || q.back() == '\t')) q.remove_suffix(1);
  if (utf8::length(q) < 3) return t;
  if (isWholeProtocol(q)) {
    t.kind = SearchTerms::Kind::kProtocol;
    for (char c : q) t.exact.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
    return t;
  }
  if (q.size() == 16 && cf::isValid(cf::normalize(q))) {
    t.kind = SearchTerms::Kind::kCodiceFiscale;
    t.exact = cf::normalize(q);
    return t;
  }
  for (std::string& w : searchWords(q)) {
    const bool prefix = w.size() >= 3;
    if (w.size() > kSearchPrefixMax) w.resize(kSearchPrefixMax);
    SearchWord word{std::move(w), prefix};
    if (std::find(t.words.begin(), t.words.end(), word) == t.words.end()) {
      t.words.push_back(std::move(word));
    }
  }
  if (!t.words.empty()) t.kind = SearchTerms::Kind::kWords;
  return t;
}

std::string actorOf(Role role, std::string_view principal) {
  return std::string(nameOf(role)) + ":" + std::string(principal);
}

std::string actorOf(const Session& s) { return actorOf(s.role, s.principal); }

}  // namespace kiosk::domain
