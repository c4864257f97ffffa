// Plain values of the domain: professionals, contacts, staff, sessions and
// audit entries. No behaviour, no storage or HTTP types. Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiosk::domain {

enum class Role { kProfessional, kStaff, kTechnician };

std::string_view roleName(Role role);  // "professional", "staff", "technician"

struct Contacts {
  std::string pec;
  std::string email;
  std::string mobile;  // E.164, "+393331234567"
  std::string phone;
  std::string fax;
  std::vector<std::string> notify;  // subset of "pec", "email", "sms", in that order
  bool operator==(const Contacts&) const = default;
};

// Who wrote a contacts version.
enum class ContactsSource { kArchive, kProfessional };

struct ContactsVersion {
  std::int64_t id = 0;
  int version = 0;  // 1, 2, … per professional
  Contacts contacts;
  ContactsSource source = ContactsSource::kArchive;
  std::int64_t created_at = 0;
};

// Failed-login bookkeeping shared by professionals and staff.
struct LoginState {
  int failed_attempts = 0;
  std::int64_t locked_until = 0;  // Unix seconds; 0 = not locked
};

struct Professional {
  std::int64_t id = 0;
  std::string codice_fiscale;
  std::string surname;
  std::string name;
  std::string pin_hash;  // empty until a PIN is set
  LoginState login;

  std::string displayName() const { return name + " " + surname; }
};

struct StaffUser {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;
  Role role = Role::kStaff;  // kStaff or kTechnician
  std::string password_hash;
  LoginState login;
};

enum class AccountKind { kProfessional, kStaff };

struct Session {
  std::int64_t id = 0;
  std::string token_hash;  // SHA-256 of the cookie token; the token itself is never stored
  Role role = Role::kProfessional;
  std::int64_t subject_id = 0;  // professional or staff user id
  std::string display_name;
  std::string csrf_token;
  std::int64_t created_at = 0;
  std::int64_t last_seen = 0;
};

struct AuditEntry {
  std::int64_t at = 0;
  std::string actor;    // "professional:RSSMRA80A01H501U", "staff:sportello", "system"
  std::string action;   // "login_ok", "login_failed", "account_locked", …
  std::string subject;  // what the action was about
  std::string detail;   // short, never a secret or message text
};

}  // namespace kiosk::domain
