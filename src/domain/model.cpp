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

}  // namespace kiosk::domain
