// Seeds a store for domain tests: a professional with contacts in force,
// and the session a logged-in professional would have.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "domain/model.h"
#include "domain/ports/store.h"

namespace kiosk::test {

inline domain::Session addProfessional(domain::Store& store,
                                       const std::string& cf,
                                       const domain::Contacts& contacts,
                                       const std::string& name = "Mario",
                                       const std::string& surname = "Rossi") {
  auto tx = *store.begin(domain::TxMode::kWrite);
  domain::Professional p;
  p.codice_fiscale = cf;
  p.name = name;
  p.surname = surname;
  const auto id = *tx->insertProfessional(p, 1);
  REQUIRE(tx->addContactsVersion(id, contacts, domain::ContactsSource::kArchive, 1));
  REQUIRE(tx->commit());
  domain::Session s;
  s.role = domain::Role::kProfessional;
  s.subject_id = id;
  s.principal = cf;
  return s;
}

}  // namespace kiosk::test
