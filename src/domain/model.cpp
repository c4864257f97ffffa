#include "domain/model.h"

#include "core/codice_fiscale.h"
#include "core/utf8.h"

namespace kiosk::domain {

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kProfessional:
      return "professional";
    case Role::kStaff:
      return "staff";
    case Role::kTechnician:
      return "technician";
  }
  return "professional";
}

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

}  // namespace

SearchTerms searchTerms(std::string_view q) {
  SearchTerms t;
  while (!q.empty() && (q.front() == ' ' || q.front() == '\t')) q.remove_prefix(1);
  while (!q.empty() && (q.back() == ' ' || q.back() == '\t')) q.remove_suffix(1);
  if (q.empty()) return t;
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
  // Words of 3 characters or more are each looked for anywhere; when a word
  // is shorter ("numero 1"), the whole text is looked for as typed.
  bool all_long = true;
  std::size_t start = 0;
  while (start < q.size()) {
    std::size_t end = q.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = q.size();
    const std::string_view word = q.substr(start, end - start);
    if (utf8::length(word) >= 3) {
      t.words.emplace_back(word);
    } else if (!word.empty()) {
      all_long = false;
    }
    start = end + 1;
  }
  if (!all_long) {
    t.words.clear();
    if (utf8::length(q) >= 3) t.words.emplace_back(q);
  }
  if (!t.words.empty()) t.kind = SearchTerms::Kind::kWords;
  return t;
}

std::string actorOf(Role role, std::string_view principal) {
  return std::string(roleName(role)) + ":" + std::string(principal);
}

std::string actorOf(const Session& s) { return actorOf(s.role, s.principal); }

std::string_view statusName(CommStatus s) {
  switch (s) {
    case CommStatus::kAperta:
      return "aperta";
    case CommStatus::kInCarico:
      return "in_carico";
    case CommStatus::kChiusa:
      return "chiusa";
  }
  return "aperta";
}

std::optional<CommStatus> parseStatus(std::string_view s) {
  if (s == "aperta") return CommStatus::kAperta;
  if (s == "in_carico") return CommStatus::kInCarico;
  if (s == "chiusa") return CommStatus::kChiusa;
  return std::nullopt;
}

std::string_view boxName(Box b) { return b == Box::kSent ? "sent" : "received"; }

std::string_view authorName(Author a) {
  return a == Author::kProfessional ? "professional" : "institute";
}

}  // namespace kiosk::domain
