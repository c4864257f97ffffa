#include "domain/model.h"

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
