// Validators and normalizers for contact data: e-mail and PEC addresses,
// Italian mobile numbers, landline and fax numbers, PINs and passwords.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiosk::validate {

// Trims surrounding ASCII whitespace.
std::string trim(std::string_view s);

// A plain addr-spec: local@domain with a dot in the domain, ASCII, at most
// 254 characters, no spaces, no quoted local parts. Lower-cases the domain.
std::optional<std::string> email(std::string_view input);

// A PEC address is an e-mail address; which provider is certified is not
// something the kiosk can know, so the rule is the same as email().
inline std::optional<std::string> pec(std::string_view input) { return email(input); }

// Italian mobile: 3 followed by 8 or 9 digits, with optional +39 / 0039 and
// spaces; normalized to E.164 ("+393331234567").
std::optional<std::string> mobile(std::string_view input);

// Landline or fax: 6–15 digits with an optional leading +, spaces, dots and
// dashes removed.
std::optional<std::string> phone(std::string_view input);

// PIN: 8–16 ASCII letters and digits.
bool pin(std::string_view input);

// Staff and technician password: at least 12 characters, at most 128 bytes.
bool staffPassword(std::string_view input);

// Staff user name: 3–32 of a-z 0-9 . _ -
bool username(std::string_view input);

}  // namespace kiosk::validate
