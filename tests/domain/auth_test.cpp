#include "domain/auth.h"

#include <catch2/catch.hpp>

#include "core/clock.h"
#include "core/crypto.h"
#include "domain/audit.h"
#include "storage/open_store.h"
#include "support/fakes.h"
#include "support/temp_store.h"
#include "support/test_database.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

constexpr const char* kCf = "RSSMRA80A01H501U";

struct Fixture {
  test::TempStore store;
  test::FakeClock clock;
  AuthService auth{store, clock, AuthPolicy{}};

  Fixture() {
    auto tx = *store.begin(TxMode::kWrite);
    Professional p;
    p.codice_fiscale = kCf;
    p.surname = "Rossi";
    p.name = "Mario";
    REQUIRE(tx->insertProfessional(p, clock.nowSeconds()));
    REQUIRE(tx->commit());
    tx.reset();
    REQUIRE(auth.setPin(kCf, "12345678"));
  }

  std::vector<std::string> auditActions() {
    std::vector<std::string> out;
    for (const auto& e : store.snapshot().audit) out.push_back(e.action);
    return out;
  }
};

}  // namespace

TEST_CASE("a professional logs in with codice fiscale and PIN", "[domain]") {
  Fixture f;
  auto r = f.auth.loginProfessional("rssmra80a01h501u", "12345678");
  REQUIRE(r);
  CHECK(r->session.role == Role::kProfessional);
  CHECK(r->session.display_name == "Mario Rossi");
  CHECK(r->token.size() == 64);  // 256 bits, hex
  CHECK(r->session.csrf_token.size() == 64);
  // Only the token's hash is stored.
  const auto sessions = f.store.snapshot().sessions;
  REQUIRE(sessions.size() == 1);
  CHECK(sessions.begin()->second.token_hash == crypto::sha256Hex(r->token));
  CHECK(f.auditActions().back() == "login_ok");
}

TEST_CASE("the PIN is stored as an argon2id hash", "[domain]") {
  Fixture f;
  const auto p = f.store.snapshot().professionals.begin()->second;
  CHECK(p.pin_hash.starts_with("$argon2id$"));
  CHECK(p.pin_hash.find("12345678") == std::string::npos);
}

TEST_CASE("an unknown codice fiscale and a wrong PIN get the same answer", "[domain]") {
  Fixture f;
  auto wrong_pin = f.auth.loginProfessional(kCf, "87654321");
  auto unknown = f.auth.loginProfessional("GRCFNC70D52L219G", "12345678");
  auto malformed = f.auth.loginProfessional("ABC", "12345678");
  REQUIRE_FALSE(wrong_pin);
  REQUIRE_FALSE(unknown);
  REQUIRE_FALSE(malformed);
  CHECK(wrong_pin.error().reason == "invalid_credentials");
  CHECK(unknown.error().reason == wrong_pin.error().reason);
  CHECK(unknown.error().message == wrong_pin.error().message);
  CHECK(malformed.error().message == wrong_pin.error().message);
}

TEST_CASE("five wrong PINs in a row lock the account, even against the right PIN", "[domain]") {
  Fixture f;
  for (int i = 0; i < 4; ++i) {
    auto r = f.auth.loginProfessional(kCf, "00000000");
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "invalid_credentials");
  }
  auto fifth = f.auth.loginProfessional(kCf, "00000000");
  REQUIRE_FALSE(fifth);
  CHECK(fifth.error().reason == "locked");
  auto right = f.auth.loginProfessional(kCf, "12345678");
  REQUIRE_FALSE(right);
  CHECK(right.error().reason == "locked");
  CHECK(right.error().message.find("sportello") != std::string::npos);
  const auto actions = f.auditActions();
  CHECK(std::count(actions.begin(), actions.end(), "login_failed") == 5);
  CHECK(std::count(actions.begin(), actions.end(), "account_locked") == 1);
  CHECK(actions.back() == "login_refused_locked");
}

TEST_CASE("a lock runs out after the configured time", "[domain]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) (void)f.auth.loginProfessional(kCf, "00000000");
  f.clock.advance(15 * 60 - 1);
  CHECK_FALSE(f.auth.loginProfessional(kCf, "12345678"));
  f.clock.advance(1);
  CHECK(f.auth.loginProfessional(kCf, "12345678"));
}

TEST_CASE("a right PIN resets the count of wrong ones", "[domain]") {
  Fixture f;
  for (int i = 0; i < 4; ++i) (void)f.auth.loginProfessional(kCf, "00000000");
  REQUIRE(f.auth.loginProfessional(kCf, "12345678"));
  for (int i = 0; i < 4; ++i) (void)f.auth.loginProfessional(kCf, "00000000");
  CHECK(f.auth.loginProfessional(kCf, "12345678"));
}

TEST_CASE("staff unlock a locked professional and it is audited", "[domain]") {
  Fixture f;
  REQUIRE(f.auth.addStaff("sportello", Role::kStaff, "sportello-demo", "Sportello"));
  for (int i = 0; i < 5; ++i) (void)f.auth.loginProfessional(kCf, "00000000");
  auto staff = f.auth.loginStaff("sportello", "sportello-demo");
  REQUIRE(staff);
  REQUIRE(f.auth.unlockProfessional(kCf, staff->session));
  CHECK(f.auth.loginProfessional(kCf, "12345678"));
  const auto actions = f.auditActions();
  CHECK(std::count(actions.begin(), actions.end(), "account_unlocked") == 1);
}

TEST_CASE("a session ends after the idle timeout", "[domain]") {
  Fixture f;
  auto r = f.auth.loginProfessional(kCf, "12345678");
  REQUIRE(r);
  f.clock.advance(179);
  REQUIRE(f.auth.authenticate(r->token));  // refreshes the idle timer
  f.clock.advance(179);
  REQUIRE(f.auth.authenticate(r->token));
  f.clock.advance(180);
  auto expired = f.auth.authenticate(r->token);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().reason == "unauthenticated");
  CHECK(f.store.snapshot().sessions.empty());  // an expired session is deleted
}

TEST_CASE("a request refreshes the idle timer in memory, and the flush writes it for other desks",
          "[domain]") {
  Fixture f;
  auto r = f.auth.loginProfessional(kCf, "12345678");
  REQUIRE(r);
  const std::int64_t login = f.clock.nowSeconds();
  f.clock.advance(179);
  REQUIRE(f.auth.authenticate(r->token));
  // No request waits for a write: the database still has the login time.
  auto lastSeen = [&] {
    const auto sessions = f.store.snapshot().sessions;
    REQUIRE(sessions.size() == 1);
    return sessions.begin()->second.last_seen;
  };
  CHECK(lastSeen() == login);
  REQUIRE(f.auth.flushTouches());
  CHECK(lastSeen() == login + 179);
  // Another desk on the same database sees the session alive 179 s later.
  AuthService other{f.store, f.clock, AuthPolicy{}};
  f.clock.advance(179);
  CHECK(other.authenticate(r->token));
}

TEST_CASE("a session ends after its absolute lifetime even when used", "[domain]") {
  Fixture f;
  auto r = f.auth.loginProfessional(kCf, "12345678");
  REQUIRE(r);
  for (int minute = 1; minute < 30; ++minute) {
    f.clock.advance(60);
    REQUIRE(f.auth.authenticate(r->token));
  }
  f.clock.advance(60);
  CHECK_FALSE(f.auth.authenticate(r->token));
}

TEST_CASE("logout ends the session on the server", "[domain]") {
  Fixture f;
  auto r = f.auth.loginProfessional(kCf, "12345678");
  REQUIRE(r);
  auto s = f.auth.authenticate(r->token);
  REQUIRE(s);
  std::vector<std::int64_t> gone;
  f.auth.onProfessionalGone([&](std::int64_t id) { gone.push_back(id); });
  REQUIRE(f.auth.logout(*s));
  CHECK_FALSE(f.auth.authenticate(r->token));
  CHECK(f.auditActions().back() == "logout");
  // What else the kiosk kept of them in memory (their list pages) is told to go.
  CHECK(gone == std::vector<std::int64_t>{s->subject_id});
}

TEST_CASE("a forged or malformed token is refused", "[domain]") {
  Fixture f;
  CHECK_FALSE(f.auth.authenticate(""));
  CHECK_FALSE(f.auth.authenticate(std::string(64, 'a')));
  CHECK_FALSE(f.auth.authenticate("'; DROP TABLE sessions; --"));
}

TEST_CASE("staff passwords need at least 12 characters and PINs 8 to 16", "[domain]") {
  Fixture f;
  auto weak = f.auth.addStaff("mario", Role::kStaff, "short", "");
  REQUIRE_FALSE(weak);
  CHECK(weak.error().reason == "weak_password");
  auto pin = f.auth.setPin(kCf, "1234");
  REQUIRE_FALSE(pin);
  CHECK(pin.error().reason == "invalid_pin");
  auto unknown = f.auth.setPin("GRCFNC70D52L219G", "12345678");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kNotFound);
}

TEST_CASE("technicians log in with their own role", "[domain]") {
  Fixture f;
  REQUIRE(f.auth.addStaff("tecnico", Role::kTechnician, "tecnico-demo", "Tecnico"));
  auto r = f.auth.loginStaff("tecnico", "tecnico-demo");
  REQUIRE(r);
  CHECK(r->session.role == Role::kTechnician);
  auto wrong = f.auth.loginStaff("tecnico", "tecnico-dem0");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().reason == "invalid_credentials");
}

TEST_CASE(
    "every audit entry of the logins is chained, checked by the real verifier on the real engine",
    "[domain]") {
  test::TestDatabase db;
  auto store = std::move(*storage::openStore(db.url()));
  test::FakeClock clock;
  AuthService auth{*store, clock, AuthPolicy{}};
  {
    auto tx = *store->begin(TxMode::kWrite);
    Professional p;
    p.codice_fiscale = kCf;
    p.surname = "Rossi";
    p.name = "Mario";
    REQUIRE(tx->insertProfessional(p, clock.nowSeconds()));
    REQUIRE(tx->commit());
  }
  REQUIRE(auth.setPin(kCf, "12345678"));
  (void)auth.loginProfessional(kCf, "00000000");
  (void)auth.loginProfessional(kCf, "12345678");
  auto check = verifyAudit(*store);
  REQUIRE(check);
  CHECK(check->entries >= 3);
  CHECK_FALSE(check->first_broken);
  // A forged entry breaks it.
  REQUIRE(db.exec("DROP TRIGGER IF EXISTS audit_log_no_update").empty());
  if (db.exec("UPDATE audit_log SET detail = 'forged' WHERE id = 2").empty()) {
    auto forged = verifyAudit(*store);
    REQUIRE(forged);
    CHECK(forged->first_broken == 2);
  }
}
