#include "domain/contacts.h"

#include <catch2/catch.hpp>

#include "core/clock.h"
#include "support/fakes.h"
#include "support/temp_store.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

ContactsInput valid() {
  ContactsInput in;
  in.pec = "mario.rossi@pec.example.com";
  in.email = "mario.rossi@mail.example.com";
  in.mobile = "333 123 4567";
  return in;
}

}  // namespace

TEST_CASE("contacts without a PEC are refused", "[domain]") {
  ContactsInput in = valid();
  in.pec = "  ";
  auto r = validateContacts(in);
  REQUIRE_FALSE(r);
  CHECK(r.error().reason == "pec_required");
}

TEST_CASE("each bad contact field has its own error code", "[domain]") {
  struct Case {
    std::string ContactsInput::*field;
    const char* value;
    const char* reason;
  };
  for (const auto& c : {Case{&ContactsInput::pec, "pec-senza-chiocciola", "invalid_pec"},
                        Case{&ContactsInput::email, "mail@", "invalid_email"},
                        Case{&ContactsInput::mobile, "06 1234567", "invalid_mobile"},
                        Case{&ContactsInput::phone, "123", "invalid_phone"},
                        Case{&ContactsInput::fax, "fax!", "invalid_fax"}}) {
    ContactsInput in = valid();
    in.*(c.field) = c.value;
    auto r = validateContacts(in);
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == c.reason);
    CHECK_FALSE(r.error().message.empty());
  }
}

TEST_CASE("notification channels default to those with an address", "[domain]") {
  ContactsInput in = valid();
  in.email.clear();
  auto r = validateContacts(in);
  REQUIRE(r);
  CHECK(r->notify == std::vector<std::string>{"pec", "sms"});
  CHECK(r->mobile == "+393331234567");
}

TEST_CASE("a channel without its address is refused", "[domain]") {
  ContactsInput in = valid();
  in.mobile.clear();
  in.notify = std::vector<std::string>{"pec", "sms"};
  auto r = validateContacts(in);
  REQUIRE_FALSE(r);
  CHECK(r.error().reason == "invalid_notify");
  in.notify = std::vector<std::string>{"fax"};
  CHECK_FALSE(validateContacts(in));
}

namespace {

// A professional in the archive, with no contacts yet.
std::int64_t enrolled(domain::Store& store) {
  auto tx = *store.begin(TxMode::kWrite);
  Professional p;
  p.codice_fiscale = "RSSMRA80A01H501U";
  p.surname = "Rossi";
  p.name = "Mario";
  const auto id = *tx->insertProfessional(p, 1);
  REQUIRE(tx->commit());
  return id;
}

}  // namespace

TEST_CASE("an update adds a version and keeps the old one", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  ContactsService contacts(store, clock);
  const auto id = enrolled(store);
  auto first = contacts.update(id, valid(), "professional:7");
  REQUIRE(first);
  CHECK(first->version == 1);
  ContactsInput changed = valid();
  changed.pec = "nuova@pec.example.com";
  changed.version = 1;
  auto second = contacts.update(id, changed, "professional:7");
  REQUIRE(second);
  CHECK(second->version == 2);
  CHECK(second->source == ContactsSource::kProfessional);
  const auto versions = store.snapshot().contacts.at(id);
  REQUIRE(versions.size() == 2);
  CHECK(versions[0].contacts.pec == "mario.rossi@pec.example.com");
  CHECK(contacts.current(id)->contacts.pec == "nuova@pec.example.com");
}

TEST_CASE("an update against an old version is a conflict and stores nothing", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  ContactsService contacts(store, clock);
  const auto id = enrolled(store);
  REQUIRE(contacts.update(id, valid(), "professional:7"));
  REQUIRE(contacts.update(id, valid(), "professional:7"));
  ContactsInput stale = valid();
  stale.version = 1;
  auto r = contacts.update(id, stale, "professional:7");
  REQUIRE_FALSE(r);
  CHECK(r.error().reason == "version_conflict");
  CHECK(store.snapshot().contacts.at(id).size() == 2);
}

TEST_CASE("a failed update stores nothing", "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  ContactsService contacts(store, clock);
  const auto id = enrolled(store);
  ContactsInput bad = valid();
  bad.email = "nope";
  REQUIRE_FALSE(contacts.update(id, bad, "professional:7"));
  CHECK(store.snapshot().contacts.empty());
  CHECK(store.snapshot().audit.empty());
}
