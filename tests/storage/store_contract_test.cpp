// The Store contract: every method of the storage port, on the real engine.
// The same cases run on SQLite (a temporary file) in the normal suite and on
// PostgreSQL (a fresh schema of a pg_virtualenv cluster) in tests/storage/
// pg_suite.sh, which sets KIOSK_TEST_DB=postgresql. Tagged [store]. This file:
// accounts, contacts, sessions, the audit chain, the fleet and the store
// itself; store_contract_comms_test.cpp: communications and the outbox.
#include "storage/store_contract.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "core/log.h"
#include "domain/audit.h"
#include "receipts/ed25519_signer.h"

using namespace kiosk;
using namespace kiosk::domain;
using test::Engine;
using test::person;

TEST_CASE("store: professionals are inserted, found, renamed, given a PIN and locked", "[store]") {
  Engine e;
  auto tx = e.write();
  const auto id = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 100);
  REQUIRE(tx->updateProfessionalNames(id, "Rossi Bianchi", "Maria Luisa", 200));
  REQUIRE(tx->setProfessionalPin(id, "argon2id$hash"));
  REQUIRE(tx->setLoginState(AccountKind::kProfessional, id, {3, 900}));
  REQUIRE(tx->commit());
  auto r = e.read();
  auto p = *r->professionalById(id);
  REQUIRE(p);
  CHECK(p->surname == "Rossi Bianchi");
  CHECK(p->name == "Maria Luisa");
  CHECK(p->pin_hash == "argon2id$hash");
  CHECK(p->login.failed_attempts == 3);
  CHECK(p->login.locked_until == 900);
  CHECK((*r->findProfessional("RSSMRA80A01H501U"))->id == id);
  CHECK_FALSE(*r->findProfessional("GRCFNC70D52L219G"));
  CHECK_FALSE(*r->professionalById(id + 1000));
  CHECK(*r->countLockedAccounts(899) == 1);
  CHECK(*r->countLockedAccounts(900) == 0);
}

TEST_CASE("store: a second professional with the same codice fiscale is refused", "[store]") {
  Engine e;
  auto tx = e.write();
  REQUIRE(tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1));
  CHECK_FALSE(tx->insertProfessional(person("RSSMRA80A01H501U", "Altro"), 2));
}

// PostgreSQL: a statement's PREPARE stays on the server when its first run
// fails (a rollback does not undo it); naming the next new statement after
// the count of those that succeeded then reused that name, and every new
// statement on the connection failed with 42P05 for its life.
TEST_CASE("store: a statement whose first run fails leaves the connection able to prepare others",
          "[store]") {
  Engine e;
  REQUIRE(
      e.db.exec("INSERT INTO professionals (codice_fiscale, surname, name, created_at, updated_at) "
                "VALUES ('RSSMRA80A01H501U', 'Rossi', 'Mario', 1, 1)") == "");
  {
    auto tx = e.write();
    CHECK_FALSE(tx->insertProfessional(person("RSSMRA80A01H501U", "Altro"), 2));  // its first run
  }
  // The pool hands back the same connection; each statement below is new to it.
  auto tx = e.write();
  REQUIRE(tx->insertProfessional(person("GRCFNC70D52L219G", "Greco"), 3));
  REQUIRE(tx->commit());
  auto r = e.read();
  REQUIRE(*r->findProfessional("GRCFNC70D52L219G"));
  REQUIRE(*r->findProfessional("RSSMRA80A01H501U"));
}

TEST_CASE("store: contact versions are kept, the newest is in force, each is found by id",
          "[store]") {
  Engine e;
  auto tx = e.write();
  const auto id = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  CHECK_FALSE(*tx->currentContacts(id));
  Contacts first;
  first.pec = "rossi@pec.it";
  first.email = "rossi@example.it";
  first.mobile = "+393331234567";
  first.phone = "0612345678";
  first.fax = "0687654321";
  first.notify = {"pec", "sms"};
  const auto v1 = *tx->addContactsVersion(id, first, ContactsSource::kArchive, 10);
  Contacts second = first;
  second.pec = "nuova@pec.it";
  second.notify = {"email"};
  const auto v2 = *tx->addContactsVersion(id, second, ContactsSource::kProfessional, 20);
  REQUIRE(tx->commit());
  auto r = e.read();
  auto now = *r->currentContacts(id);
  REQUIRE(now);
  CHECK(now->id == v2.id);
  CHECK(now->version == 2);
  CHECK(now->contacts.pec == "nuova@pec.it");
  CHECK(now->contacts.notify == std::vector<std::string>{"email"});
  CHECK(now->source == ContactsSource::kProfessional);
  auto old = *r->contactsVersionById(v1.id);
  REQUIRE(old);
  CHECK(old->version == 1);
  CHECK(old->contacts.mobile == "+393331234567");
  CHECK(old->contacts.phone == "0612345678");
  CHECK(old->contacts.fax == "0687654321");
  CHECK(old->contacts.notify == std::vector<std::string>{"pec", "sms"});
  CHECK(old->created_at == 10);
  CHECK_FALSE(*r->contactsVersionById(v2.id + 100));
  // Versions are append-only, whatever writes the database.
  CHECK_FALSE(e.db.exec("UPDATE contact_versions SET pec = 'x'").empty());
}

TEST_CASE("store: staff are found by name and id, and a lock counts until it ends", "[store]") {
  Engine e;
  auto tx = e.write();
  StaffUser u;
  u.username = "tecnico";
  u.display_name = "Tecnico di sede";
  u.role = Role::kTechnician;
  u.password_hash = "h";
  const auto id = *tx->upsertStaff(u, 1);
  REQUIRE(tx->setLoginState(AccountKind::kStaff, id, {5, 300}));
  REQUIRE(tx->commit());
  auto r = e.read();
  auto byId = *r->staffById(id);
  REQUIRE(byId);
  CHECK(byId->username == "tecnico");
  CHECK(byId->display_name == "Tecnico di sede");
  CHECK(byId->role == Role::kTechnician);
  CHECK(byId->login.failed_attempts == 5);
  CHECK_FALSE(*r->findStaff("nessuno"));
  CHECK_FALSE(*r->staffById(id + 1));
  CHECK(*r->countLockedAccounts(299) == 1);
}

TEST_CASE("store: a session is touched, found with its principal and deleted", "[store]") {
  Engine e;
  auto tx = e.write();
  Session s;
  s.token_hash = std::string(64, 'a');
  s.role = Role::kProfessional;
  s.subject_id = 7;
  s.principal = "RSSMRA80A01H501U";
  s.display_name = "Maria Rossi";
  s.csrf_token = "csrf";
  s.created_at = 100;
  s.last_seen = 100;
  REQUIRE(tx->insertSession(s));
  REQUIRE(tx->commit());
  auto found = *e.read()->findSession(s.token_hash);
  REQUIRE(found);
  CHECK(found->principal == "RSSMRA80A01H501U");
  CHECK(found->csrf_token == "csrf");
  CHECK(found->subject_id == 7);
  tx = e.write();
  REQUIRE(tx->touchSession(found->id, 160));
  REQUIRE(tx->commit());
  CHECK((*e.read()->findSession(s.token_hash))->last_seen == 160);
  tx = e.write();
  CHECK(*tx->deleteExpiredSessions(150, 50) == 0);   // seen at 160, made at 100
  CHECK(*tx->deleteExpiredSessions(150, 101) == 1);  // too old
  REQUIRE(tx->insertSession(s));
  const auto again = *tx->findSession(s.token_hash);
  REQUIRE(again);
  REQUIRE(tx->deleteSession(again->id));
  CHECK_FALSE(*tx->findSession(s.token_hash));
  REQUIRE(tx->commit());
}

TEST_CASE("store: a new PIN ends every session of that professional, and only theirs", "[store]") {
  Engine e;
  auto tx = e.write();
  Session s;
  s.role = Role::kProfessional;
  s.principal = "RSSMRA80A01H501U";
  s.display_name = "Mario Rossi";
  s.csrf_token = "csrf";
  s.created_at = s.last_seen = 100;
  const auto add = [&](char c, Role role, std::int64_t subject) {
    s.token_hash = std::string(64, c);
    s.role = role;
    s.subject_id = subject;
    REQUIRE(tx->insertSession(s));
  };
  add('a', Role::kProfessional, 7);
  add('b', Role::kProfessional, 7);
  add('c', Role::kProfessional, 8);
  add('d', Role::kStaff, 7);  // a staff user with the same id is someone else
  REQUIRE(tx->deleteSessionsOf(Role::kProfessional, 7));
  REQUIRE(tx->commit());
  auto r = e.read();
  CHECK_FALSE(*r->findSession(std::string(64, 'a')));
  CHECK_FALSE(*r->findSession(std::string(64, 'b')));
  CHECK(*r->findSession(std::string(64, 'c')));
  CHECK(*r->findSession(std::string(64, 'd')));
}

TEST_CASE("store: the audit chain is appended, scanned in order and verified", "[store][audit]") {
  Engine e;
  CHECK_FALSE(*e.read()->auditHead());
  {
    auto tx = e.write();
    for (int i = 0; i < 5; ++i) {
      REQUIRE(tx->appendAudit(
          {100 + i, "staff:sportello", "reply", "INPS.1", "n" + std::to_string(i)}));
    }
    REQUIRE(tx->commit());
  }
  std::vector<std::string> details;
  std::string prev = kAuditGenesis;
  REQUIRE(e.read()->scanAudit(
      [&](std::int64_t, const AuditEntry& entry, const std::string& p, const std::string& hash) {
        CHECK(p == prev);
        CHECK(hash == auditHash(p, entry));
        prev = hash;
        details.push_back(entry.detail);
        return details.size() < 4;  // stops when asked
      }));
  CHECK(details == std::vector<std::string>{"n0", "n1", "n2", "n3"});
  auto head = *e.read()->auditHead();
  REQUIRE(head);
  auto check = verifyAudit(*e.store);
  REQUIRE(check);
  CHECK(check->entries == 5);
  CHECK_FALSE(check->first_broken);
  // Append-only for anyone with database access.
  CHECK(e.db.exec("UPDATE audit_log SET detail = 'x'").find("append-only") != std::string::npos);
  CHECK(e.db.exec("DELETE FROM audit_log").find("append-only") != std::string::npos);
}

TEST_CASE("store: signed heads are kept in order and checked by the verifier", "[store][audit]") {
  Engine e;
  test::TempDir keys;
  auto signer = std::move(*receipts::Ed25519Signer::open(keys.file("receipt.key")));
  {
    auto tx = e.write();
    CHECK_FALSE(*tx->hasAuditAnchors("K01"));
    CHECK(tx->auditAnchors()->empty());
    CHECK_FALSE(*tx->lastAuditAnchor());
    REQUIRE(tx->appendAudit({100, "system", "start", "", ""}));
    REQUIRE(anchorAudit(*tx, *signer, "K01", 101));
    REQUIRE(tx->appendAudit({102, "system", "send", "", ""}));
    REQUIRE(anchorAudit(*tx, *signer, "K02", 103));
    REQUIRE(tx->commit());
  }
  auto r = e.read();
  CHECK(*r->hasAuditAnchors("K01"));
  CHECK(*r->hasAuditAnchors("K02"));
  CHECK_FALSE(*r->hasAuditAnchors("K03"));
  auto anchors = *r->auditAnchors();
  REQUIRE(anchors.size() == 2);
  CHECK(anchors[0].kiosk_id == "K01");
  CHECK(anchors[1].kiosk_id == "K02");
  CHECK(anchors[1].head.id > anchors[0].head.id);
  CHECK(anchors[1].head.hash == (*r->auditHead())->hash);
  // Each kiosk numbers its own heads from 1.
  CHECK(anchors[0].seq == 1);
  CHECK(anchors[1].seq == 1);
  CHECK(*r->nextAnchorSeq("K01") == 2);
  CHECK(*r->nextAnchorSeq("K03") == 1);
  auto last = *r->lastAuditAnchor();
  REQUIRE(last);
  CHECK(last->kiosk_id == "K02");
  CHECK(last->signature == anchors[1].signature);
  // K01's heads with this kiosk's own keyring; K02's only with the keys K02 published.
  {
    auto tx = e.write();
    REQUIRE(tx->publishReceiptKey({signer->keyId(), "K02", signer->publicKeyHex(), 100}));
    REQUIRE(tx->commit());
  }
  auto check = verifyAudit(*e.store, signer.get(), "K01");
  REQUIRE(check);
  CHECK(check->anchors == 2);
  CHECK_FALSE(check->first_broken);
  CHECK_FALSE(e.db.exec("DELETE FROM audit_anchors").empty());
}

TEST_CASE("store: writers on many threads all land and the chain stays whole", "[store][audit]") {
  Engine e;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto tx = e.store->begin(TxMode::kWrite);
        if (!tx || !(*tx)->appendAudit({t * 100 + i, "t", "w", "s", ""}) || !(*tx)->commit()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  auto check = verifyAudit(*e.store);
  REQUIRE(check);
  CHECK(check->entries == 160);
  CHECK_FALSE(check->first_broken);
}

TEST_CASE("store: a read snapshot does not see a write committed after it began", "[store]") {
  Engine e;
  auto snapshot = e.read();
  CHECK_FALSE(*snapshot->findProfessional("RSSMRA80A01H501U"));
  {
    auto tx = e.write();
    REQUIRE(tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1));
    REQUIRE(tx->commit());
  }
  CHECK_FALSE(*snapshot->findProfessional("RSSMRA80A01H501U"));
  snapshot.reset();
  CHECK(*e.read()->findProfessional("RSSMRA80A01H501U"));
}

TEST_CASE("store: ping, the write probe and the description", "[store]") {
  Engine e;
  CHECK(e.store->ping());
  CHECK(e.store->checkWritable());
  const auto text = e.store->describe();
  CHECK((text.starts_with("sqlite:") || text.starts_with("postgresql://")));
  CHECK(text.find("PASSWORD") == std::string::npos);
}

TEST_CASE("store: free bytes are the SQLite file system's, and not watched on a server",
          "[store]") {
  Engine e;
  const auto free = e.store->freeBytes();
  const auto text = e.store->describe();
  if (text.starts_with("postgresql://")) {
    CHECK_FALSE(free);  // the database's disk is the server's
    return;
  }
  // The file system holding the file, as df would show it.
  const auto dir = std::filesystem::path(text.substr(std::string_view("sqlite:").size()));
  REQUIRE(free);
  const auto space = std::filesystem::space(dir.parent_path());
  CHECK(*free > 0);
  const auto diff = *free > space.available ? *free - space.available : space.available - *free;
  CHECK(diff < 64u * 1024 * 1024);  // other writers on the same disk meanwhile
}

TEST_CASE("store: public receipt keys are published once and listed for every desk",
          "[store][fleet]") {
  Engine e;
  auto tx = e.write();
  CHECK(tx->receiptKeys()->empty());
  REQUIRE(tx->publishReceiptKey({"aaaa000000000001", "K01", std::string(64, 'a'), 100}));
  REQUIRE(tx->publishReceiptKey({"bbbb000000000002", "K02", std::string(64, 'b'), 90}));
  REQUIRE(tx->publishReceiptKey({"aaaa000000000001", "K01", std::string(64, 'a'), 200}));  // again
  REQUIRE(tx->commit());
  auto keys = *e.read()->receiptKeys();
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].kiosk_id == "K02");  // oldest first
  CHECK(keys[1].key_id == "aaaa000000000001");
  CHECK(keys[1].public_key == std::string(64, 'a'));
  CHECK(keys[1].published_at == 100);
  CHECK_FALSE(e.db.exec("UPDATE receipt_keys SET public_key = 'x'").empty());
}

TEST_CASE("store: heartbeats and selftests of each kiosk are kept apart and listed",
          "[store][fleet]") {
  Engine e;
  KioskStatus k;
  k.kiosk_id = "K02";
  k.branch_code = "1234";
  k.branch_name = "Sede di Roma";
  k.version = "0.2.0";
  k.started_at = 100;
  k.last_seen = 160;
  k.head = {42, std::string(64, 'c')};
  k.devices = "printer=ready scanner=offline";
  k.outbox_pending = 3;
  k.outbox_failed = 1;
  {
    auto tx = e.write();
    REQUIRE(tx->recordSelftest("K01", 50, true, "tutto ok"));
    REQUIRE(tx->recordHeartbeat(k));
    REQUIRE(tx->recordSelftest("K02", 170, false, "printer: FAIL"));
    k.last_seen = 220;  // the next minute: the selftest stays
    REQUIRE(tx->recordHeartbeat(k));
    REQUIRE(tx->commit());
  }
  auto kiosks = *e.read()->listKiosks();
  REQUIRE(kiosks.size() == 2);
  CHECK(kiosks[0].kiosk_id == "K01");
  CHECK(kiosks[0].selftest_ok);
  CHECK(kiosks[0].last_seen == 0);  // never served
  const auto& two = kiosks[1];
  CHECK(two.branch_name == "Sede di Roma");
  CHECK(two.version == "0.2.0");
  CHECK(two.started_at == 100);
  CHECK(two.last_seen == 220);
  CHECK(two.head.id == 42);
  CHECK(two.head.hash == std::string(64, 'c'));
  CHECK(two.devices == "printer=ready scanner=offline");
  CHECK(two.outbox_pending == 3);
  CHECK(two.outbox_failed == 1);
  CHECK(two.selftest_at == 170);
  CHECK_FALSE(two.selftest_ok);
  CHECK(two.selftest_summary == "printer: FAIL");
}

TEST_CASE("store: a caller waits a bounded time for a connection, then hears database_busy",
          "[store]") {
  test::TestDatabase db;
  auto store = std::move(*storage::openStore(db.url(), {1, 300}));
  auto held = store->begin(TxMode::kRead);  // the only connection
  REQUIRE(held);
  auto waited = store->begin(TxMode::kRead);
  REQUIRE_FALSE(waited);
  CHECK(waited.error().reason == "database_busy");
  held->reset();
  CHECK(store->begin(TxMode::kRead));
}

TEST_CASE("store: a stored name the kiosk never writes is read as a default and said in the log",
          "[store]") {
  Engine e;
  const std::int64_t comm = test::rossiWithOneThread(e);
  // Changed outside the kiosk, past the column's CHECK.
  REQUIRE(e.db.exec(test::onPostgres()
                        ? "ALTER TABLE communications DROP CONSTRAINT communications_status_check; "
                          "UPDATE communications SET status = 'smarrita'"
                        : "PRAGMA ignore_check_constraints = ON; "
                          "UPDATE communications SET status = 'smarrita'") == "");
  const auto counted = [] {
    for (const auto& c : log::eventCounts()) {
      if (c.event == "stored_value_unknown") return c.count;
    }
    return std::uint64_t{0};
  };
  const auto before = counted();
  auto r = e.read();
  auto c = *r->communicationById(comm);
  REQUIRE(c);
  CHECK(c->status == CommStatus::kAperta);
  CHECK(counted() == before + 1);
}
