// The Store contract: every method of the storage port, on the real engine.
// The same cases run on SQLite (a temporary file) in the normal suite and on
// PostgreSQL (a fresh schema of a pg_virtualenv cluster) in tests/storage/
// pg_suite.sh, which sets KIOSK_TEST_DB=postgresql. Tagged [store].
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "domain/audit.h"
#include "receipts/ed25519_signer.h"
#include "storage/open_store.h"
#include "support/test_database.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

struct Engine {
  test::TestDatabase db;
  std::unique_ptr<Store> store = std::move(*storage::openStore(db.url(), {12, 5000}));

  std::unique_ptr<Transaction> write() { return std::move(*store->begin(TxMode::kWrite)); }
  std::unique_ptr<Transaction> read() { return std::move(*store->begin(TxMode::kRead)); }
};

Professional person(const std::string& cf, const std::string& surname) {
  Professional p;
  p.codice_fiscale = cf;
  p.surname = surname;
  p.name = "Maria";
  return p;
}

// A thread with one message; returns the communication's id.
std::int64_t thread(Transaction& tx,
                    std::int64_t professional_id,
                    const std::string& protocol,
                    const std::string& subject,
                    std::int64_t at,
                    CommStatus status = CommStatus::kAperta,
                    const std::string& topic = "contributi") {
  Communication c;
  c.protocol = protocol;
  c.professional_id = professional_id;
  c.topic = topic;
  c.subject = subject;
  c.status = status;
  c.created_at = at;
  c.updated_at = at;
  auto id = tx.insertCommunication(c);
  REQUIRE(id);
  Message m;
  m.communication_id = *id;
  m.body = "Testo di " + subject;
  m.created_at = at;
  REQUIRE(tx.insertMessage(m));
  return *id;
}

}  // namespace

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
  auto last = *r->lastAuditAnchor();
  REQUIRE(last);
  CHECK(last->kiosk_id == "K02");
  CHECK(last->signature == anchors[1].signature);
  auto check = verifyAudit(*e.store, signer.get());
  REQUIRE(check);
  CHECK(check->anchors == 2);
  CHECK_FALSE(check->first_broken);
  CHECK_FALSE(e.db.exec("DELETE FROM audit_anchors").empty());
}

TEST_CASE("store: protocol numbers count per year and a rolled-back send gives its number back",
          "[store]") {
  Engine e;
  {
    auto tx = e.write();
    CHECK(*tx->nextProtocolNumber(2026) == 1);
    CHECK(*tx->nextProtocolNumber(2026) == 2);
    CHECK(*tx->nextProtocolNumber(2027) == 1);
    REQUIRE(tx->commit());
  }
  {
    auto tx = e.write();
    CHECK(*tx->nextProtocolNumber(2026) == 3);
  }  // dropped: no gap
  CHECK(*e.write()->nextProtocolNumber(2026) == 3);
}

TEST_CASE("store: protocol numbers from many threads are unique and without gaps", "[store]") {
  Engine e;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::int64_t> seen;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        auto tx = e.store->begin(TxMode::kWrite);
        if (!tx) {
          ++failures;
          continue;
        }
        auto n = (*tx)->nextProtocolNumber(2026);
        if (!n || !(*tx)->commit()) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mutex);
        seen.insert(*n);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(seen.size() == 90);
  CHECK(*seen.begin() == 1);
  CHECK(*seen.rbegin() == 90);
}

TEST_CASE("store: an idempotency key finds the send it was saved with, per professional",
          "[store]") {
  Engine e;
  auto tx = e.write();
  const auto a = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  const auto b = *tx->insertProfessional(person("GRCFNC70D52L219G", "Greco"), 1);
  const auto c = thread(*tx, a, "INPS.0001.2026.000001", "Contributi", 10);
  CHECK_FALSE(*tx->findIdempotencyKey(a, "k-1"));
  REQUIRE(tx->saveIdempotencyKey(a, "k-1", c, 10));
  CHECK(*tx->findIdempotencyKey(a, "k-1") == c);
  CHECK_FALSE(*tx->findIdempotencyKey(b, "k-1"));
  CHECK_FALSE(tx->saveIdempotencyKey(a, "k-1", c, 11));  // once only
}

TEST_CASE("store: a thread is read back by id and protocol with its messages and files",
          "[store]") {
  Engine e;
  auto tx = e.write();
  const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  Contacts contacts;
  contacts.pec = "rossi@pec.it";
  const auto version = *tx->addContactsVersion(pid, contacts, ContactsSource::kArchive, 1);
  StaffUser u;
  u.username = "sportello";
  u.display_name = "Sportello";
  u.password_hash = "h";
  const auto staff = *tx->upsertStaff(u, 1);
  Communication c;
  c.protocol = "INPS.0001.2026.000007";
  c.professional_id = pid;
  c.box = Box::kSent;
  c.topic = "contributi";
  c.subject = "Versamento di marzo";
  c.contacts_version_id = version.id;
  c.extra_email = "studio@example.it";
  c.created_at = 50;
  c.updated_at = 50;
  const auto cid = *tx->insertCommunication(c);
  Message m;
  m.communication_id = cid;
  m.body = "Chiedo verifica.";
  m.created_at = 50;
  const auto mid = *tx->insertMessage(m);
  // Every byte value, a NUL first: files are stored as they are.
  std::string bytes;
  for (int i = 0; i < 256 * 40; ++i) bytes.push_back(static_cast<char>(i % 256));
  const auto aid = *tx->insertAttachment(
      mid, {"estratto conto.pdf", "application/pdf", std::string(64, 'f'), bytes});
  Message reply;
  reply.communication_id = cid;
  reply.author = Author::kInstitute;
  reply.staff_id = staff;
  reply.body = "Verificato.";
  reply.created_at = 60;
  REQUIRE(tx->insertMessage(reply));
  REQUIRE(tx->commit());

  auto r = e.read();
  auto got = *r->communicationById(cid);
  REQUIRE(got);
  CHECK(got->protocol == "INPS.0001.2026.000007");
  CHECK(got->codice_fiscale == "RSSMRA80A01H501U");
  CHECK(got->professional_name == "Maria Rossi");
  CHECK(got->contacts_version_id == version.id);
  CHECK(got->extra_email == "studio@example.it");
  CHECK(got->assigned_staff_id == 0);
  CHECK_FALSE(got->professional_wrote_last);  // the Institute answered last
  CHECK((*r->communicationByProtocol("INPS.0001.2026.000007"))->id == cid);
  CHECK_FALSE(*r->communicationByProtocol("INPS.0001.2026.000008"));
  CHECK_FALSE(*r->communicationById(cid + 99));
  auto messages = *r->messagesOf(cid);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].body == "Chiedo verifica.");
  REQUIRE(messages[0].attachments.size() == 1);
  CHECK(messages[0].attachments[0].filename == "estratto conto.pdf");
  CHECK(messages[0].attachments[0].size == static_cast<std::int64_t>(bytes.size()));
  CHECK(messages[1].author == Author::kInstitute);
  CHECK(messages[1].staff_id == staff);
  CHECK(messages[1].attachments.empty());
  auto file = *r->attachmentById(aid);
  REQUIRE(file);
  CHECK(file->data == bytes);
  CHECK(file->professional_id == pid);
  CHECK(file->meta.content_type == "application/pdf");
  CHECK(file->meta.sha256 == std::string(64, 'f'));
  CHECK_FALSE(*r->attachmentById(aid + 99));
  // Messages and files are never changed once registered.
  CHECK_FALSE(e.db.exec("UPDATE messages SET body = 'x'").empty());
  CHECK_FALSE(e.db.exec("UPDATE attachments SET filename = 'x'").empty());
}

TEST_CASE("store: status, outcome, unread and assignment are written back", "[store]") {
  Engine e;
  auto tx = e.write();
  const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  StaffUser u;
  u.username = "sportello";
  u.display_name = "Sportello";
  u.password_hash = "h";
  const auto staff = *tx->upsertStaff(u, 1);
  const auto a = thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
  thread(*tx, pid, "INPS.0001.2026.000002", "Due", 11);
  auto c = **tx->communicationById(a);
  c.status = CommStatus::kChiusa;
  c.outcome = "Accolta";
  c.unread = true;
  c.assigned_staff_id = staff;
  c.updated_at = 99;
  REQUIRE(tx->updateCommunication(c));
  REQUIRE(tx->commit());
  auto r = e.read();
  auto back = **r->communicationById(a);
  CHECK(back.status == CommStatus::kChiusa);
  CHECK(back.outcome == "Accolta");
  CHECK(back.unread);
  CHECK(back.assigned_staff_id == staff);
  CHECK(back.updated_at == 99);
  CHECK(*r->unreadCount(pid) == 1);
  CHECK(*r->unreadCount(pid + 1) == 0);
}

TEST_CASE("store: lists filter, search, count and page, newest first", "[store]") {
  Engine e;
  auto tx = e.write();
  const auto rossi = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  const auto greco = *tx->insertProfessional(person("GRCFNC70D52L219G", "D'Greco"), 1);
  for (int i = 1; i <= 25; ++i) {
    char protocol[32];
    std::snprintf(protocol, sizeof protocol, "INPS.0001.2026.%06d", i);
    thread(*tx, i % 5 == 0 ? greco : rossi, protocol,
           i == 7 ? "Rimborso 50% del contributo" : "Domanda numero " + std::to_string(i), 100 + i,
           i % 2 ? CommStatus::kAperta : CommStatus::kChiusa, i % 3 ? "contributi" : "prestazioni");
  }
  REQUIRE(tx->commit());
  auto r = e.read();
  auto list = [&](CommFilter f) { return *r->listCommunications(f); };
  CommFilter all;
  auto first = list(all);
  CHECK(first.total == 25);
  REQUIRE(first.items.size() == 20);
  CHECK(first.items[0].protocol == "INPS.0001.2026.000025");  // newest first
  all.page = 2;
  auto second = list(all);
  REQUIRE(second.items.size() == 5);
  CHECK(second.items.back().protocol == "INPS.0001.2026.000001");
  all.page = 3;
  CHECK(list(all).items.empty());

  CommFilter mine;
  mine.professional_id = greco;
  mine.box = Box::kSent;
  CHECK(list(mine).total == 5);
  CommFilter open;
  open.status = CommStatus::kAperta;
  CHECK(list(open).total == 13);
  CommFilter topic;
  topic.topic = "prestazioni";
  CHECK(list(topic).total == 8);
  CommFilter unread;
  unread.unread = true;
  CHECK(list(unread).total == 0);

  auto search = [&](const std::string& q) {
    CommFilter f;
    f.q = q;
    return list(f).total;
  };
  CHECK(search("INPS.0001.2026.000007") == 1);  // whole protocol
  CHECK(search("000012") == 1);                 // its last digits
  CHECK(search("grcfnc") == 5);                 // codice fiscale beginning, any case
  CHECK(search("d'gre") == 5);                  // surname beginning, any case
  CHECK(search("numero 1") == 11);              // words of the subject: 1, 10-19
  CHECK(search("50%") == 1);                    // % is literal
  CHECK(search("_") == 0);                      // and so is _
  CHECK(search("nessuno") == 0);
}

TEST_CASE("store: the outbox is claimed with a lease, marked, listed and retried",
          "[store][outbox]") {
  Engine e;
  std::int64_t cid = 0, mid_receipt = 0;
  {
    auto tx = e.write();
    const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
    cid = thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
    mid_receipt = (*tx->messagesOf(cid))[0].id;
    REQUIRE(tx->insertOutbox({cid, "registered", "pec", "rossi@pec.it", 100, 0}));
    REQUIRE(tx->insertOutbox({cid, "registered", "sms", "+393331234567", 100, 0}));
    REQUIRE(tx->insertOutbox({cid, "receipt", "pec", "rossi@pec.it", 200, mid_receipt}));
    REQUIRE(tx->commit());
  }
  std::vector<OutboxItem> claimed;
  {
    auto tx = e.write();
    claimed = *tx->claimOutbox(150, 180, 10);  // the receipt is not due yet
    REQUIRE(tx->commit());
  }
  REQUIRE(claimed.size() == 2);
  CHECK(claimed[0].protocol == "INPS.0001.2026.000001");
  CHECK(claimed[0].topic == "contributi");
  CHECK(claimed[0].event == "registered");
  CHECK(claimed[0].channel == "pec");
  CHECK(claimed[0].recipient == "rossi@pec.it");
  CHECK(claimed[0].status == "pending");
  CHECK(claimed[0].attempts == 0);
  CHECK(claimed[0].message_id == 0);
  // Leased: nobody claims them again before 180, then they are due again.
  CHECK(e.write()->claimOutbox(179, 300, 10)->empty());
  {
    auto tx = e.write();
    REQUIRE(tx->markOutboxSent(claimed[0].id, 181));
    REQUIRE(tx->markOutboxAttempt(claimed[1].id, 5, 0, "gateway down", true));
    REQUIRE(tx->commit());
  }
  {
    auto tx = e.write();
    auto due = *tx->claimOutbox(250, 400, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].event == "receipt");
    CHECK(due[0].message_id == mid_receipt);
    REQUIRE(tx->markOutboxAttempt(due[0].id, 1, 500, "timeout", false));
    REQUIRE(tx->commit());
  }
  auto r = e.read();
  auto every = *r->listOutbox("", 10);
  REQUIRE(every.size() == 3);
  CHECK(every[0].event == "receipt");  // newest first
  CHECK(every[0].status == "pending");
  CHECK(every[0].attempts == 1);
  CHECK(every[0].next_attempt_at == 500);
  CHECK(every[0].last_error == "timeout");
  CHECK(every[2].status == "sent");
  CHECK(every[2].attempts == 1);
  CHECK(r->listOutbox("", 1)->size() == 1);
  auto failed = *r->listOutbox("failed", 10);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].last_error == "gateway down");
  r.reset();
  auto tx = e.write();
  CHECK(*tx->retryOutbox(failed[0].id + 100, 600) == 0);
  CHECK(*tx->retryOutbox(0, 600) == 1);
  CHECK(*tx->retryOutbox(0, 600) == 0);
  auto again = *tx->listOutbox("pending", 10);
  REQUIRE(again.size() == 2);
  CHECK(again[1].attempts == 0);
  CHECK(again[1].next_attempt_at == 600);
  REQUIRE(tx->commit());
}

TEST_CASE("store: dispatchers claiming at once never take the same row", "[store][outbox]") {
  Engine e;
  {
    auto tx = e.write();
    const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
    const auto cid = thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
    for (int i = 0; i < 60; ++i) {
      REQUIRE(tx->insertOutbox(
          {cid, "registered", "email", "r" + std::to_string(i) + "@x.it", 100, 0}));
    }
    REQUIRE(tx->commit());
  }
  std::mutex mutex;
  std::vector<std::int64_t> taken;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 10; ++round) {
        auto tx = e.store->begin(TxMode::kWrite);
        if (!tx) continue;
        auto got = (*tx)->claimOutbox(150, 10000, 3);
        if (!got || !(*tx)->commit()) continue;
        std::lock_guard lock(mutex);
        for (const auto& item : *got) taken.push_back(item.id);
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::set<std::int64_t> distinct(taken.begin(), taken.end());
  CHECK(taken.size() == 60);
  CHECK(distinct.size() == 60);
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
