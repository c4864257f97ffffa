// ContactsService: the professional's contacts (PEC, e-mail, mobile, phone,
// fax, notification channels) as append-only versions. A change applies from
// the next communication on: each communication keeps the version in force
// when it was created. Thread-safe (no state of its own).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/model.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

// What a professional submits: raw text, validated by validateContacts().
struct ContactsInput {
  std::string pec, email, mobile, phone, fax;
  std::optional<std::vector<std::string>> notify;  // nullopt: every channel that has an address
  std::optional<int> version;  // when given, must be the version in force (else 409)
};

// Normalizes and checks; 422 with invalid_pec, invalid_email, invalid_mobile,
// invalid_phone, invalid_fax, invalid_notify or pec_required.
Result<Contacts> validateContacts(const ContactsInput& input);

// The notification channels that have an address, in the order pec, email, sms.
std::vector<std::string> availableChannels(const Contacts& c);

class ContactsService {
 public:
  ContactsService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // The version in force; an empty version 0 when the archive had none.
  Result<ContactsVersion> current(std::int64_t professional_id);

  Result<ContactsVersion> update(std::int64_t professional_id,
                                 const ContactsInput& input,
                                 const std::string& actor);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace kiosk::domain
