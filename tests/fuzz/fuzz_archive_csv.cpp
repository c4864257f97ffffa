// libFuzzer target: the archive CSV parser never crashes, and whatever it
// accepts has a valid codice fiscale and normalized contacts.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/codice_fiscale.h"
#include "core/validators.h"
#include "domain/archive_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view csv(reinterpret_cast<const char*>(data), size);
  auto parsed = kiosk::domain::parseArchive(csv);
  if (!parsed) return 0;
  for (const auto& row : parsed->rows) {
    if (!kiosk::cf::isValid(row.codice_fiscale)) std::abort();
    if (!row.contacts.pec.empty() && !kiosk::validate::pec(row.contacts.pec)) std::abort();
    if (!row.contacts.mobile.empty() && !row.contacts.mobile.starts_with("+393")) std::abort();
  }
  return 0;
}
