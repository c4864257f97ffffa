// The Store contract, part two: protocol numbers, idempotency, threads with
// their messages and files, lists, on the real engine (SQLite, or PostgreSQL
// under tests/storage/pg_suite.sh). Tagged [store]. The word search:
// store_contract_search_test.cpp; the outbox and a send's files before the
// write lock: store_contract_outbox_test.cpp.
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "storage/store_contract.h"

using namespace kiosk;
using namespace kiosk::domain;
using test::Engine;
using test::person;
using test::thread;

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
  r.reset();
  // A read mark, in a transaction of its own kind (no fleet-wide lock),
  // clears unread and leaves what staff wrote as it is.
  auto own = e.store->begin(TxMode::kWriteOwn);
  REQUIRE(own);
  REQUIRE((*own)->markRead(a));
  REQUIRE((*own)->commit());
  auto after = **e.read()->communicationById(a);
  CHECK_FALSE(after.unread);
  CHECK(after.status == CommStatus::kChiusa);
  CHECK(after.outcome == "Accolta");
  CHECK(after.assigned_staff_id == staff);
  CHECK(after.updated_at == 99);
  CHECK(*e.read()->unreadCount(pid) == 0);
}

TEST_CASE("store: a professional's own messages since a time, with their bytes", "[store]") {
  Engine e;
  auto tx = e.write();
  const auto rossi = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  const auto greco = *tx->insertProfessional(person("GRCFNC70D52L219G", "Greco"), 1);
  const auto a = thread(*tx, rossi, "INPS.0001.2026.000001", "Uno", 100);
  thread(*tx, rossi, "INPS.0001.2026.000002", "Prima", 10);  // before `since`
  thread(*tx, greco, "INPS.0001.2026.000003", "Altrui", 120);
  Message more;
  more.communication_id = a;
  more.body = "Integrazione";
  more.created_at = 130;
  const auto mid = *tx->insertMessage(more);
  REQUIRE(tx->insertAttachment(
      mid, {"a.pdf", "application/pdf", std::string(64, 'a'), std::string(1000, 'x')}));
  REQUIRE(tx->insertAttachment(
      mid, {"b.pdf", "application/pdf", std::string(64, 'b'), std::string(24, 'y')}));
  Message reply;  // the Institute's: not counted
  reply.communication_id = a;
  reply.author = Author::kInstitute;
  reply.body = "Risposta";
  reply.created_at = 140;
  REQUIRE(tx->insertMessage(reply));
  REQUIRE(tx->commit());
  auto r = e.read();
  auto sent = r->professionalSends(rossi, 50);
  REQUIRE(sent);
  REQUIRE(sent->size() == 2);
  CHECK((*sent)[0].created_at == 100);
  CHECK((*sent)[0].bytes == 0);
  CHECK((*sent)[1].created_at == 130);
  CHECK((*sent)[1].bytes == 1024);
  CHECK(r->professionalSends(greco, 0)->size() == 1);
  CHECK(r->professionalSends(rossi, 131)->empty());
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
  mine.page = 2;  // past the last page: no row, the count still right
  CHECK(list(mine).items.empty());
  CHECK(list(mine).total == 5);
  mine.page = 1;
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
  CHECK(search("0012") == 1);
  CHECK(search("grcfnc") == 5);    // codice fiscale beginning, any case
  CHECK(search("d'gre") == 5);     // surname beginning, any case
  CHECK(search("numer") == 24);    // the beginning of a word of the subject
  CHECK(search("umero") == 0);     // not its middle
  CHECK(search("numero 1") == 1);  // a short word is a whole word: not 10-19
  CHECK(search("50%") == 1);       // % and _ are no wildcards: they end a word
  CHECK(search("_") == 0);
  CHECK(search("nessuno") == 0);
}

TEST_CASE("store: a list asked again shows at once what another desk changed", "[store]") {
  // Two stores on one database: two desks of a branch (or two processes on
  // one SQLite file). A page read at desk A is read again after each change
  // made at desk B; each change moves the professional's list version on
  // (which the page carries, read in its own snapshot), a rollback does not.
  Engine a;
  auto b = std::move(*storage::openStore(a.db.url(), {4, 5000}));
  const auto [pid, first] = test::rossiAndThread(a);
  CommFilter mine;
  mine.professional_id = pid;
  mine.box = Box::kSent;
  auto at_a = [&] { return *a.read()->listCommunications(mine); };
  auto version = [&] { return *a.read()->listVersion(pid); };
  REQUIRE(at_a().total == 1);
  std::int64_t seen = version();
  CHECK(at_a().list_version == seen);
  // Moved on since the last look, and carried by the page.
  auto moved = [&] {
    const std::int64_t now = version();
    const bool on = now != seen && at_a().list_version == now;
    seen = now;
    return on;
  };
  REQUIRE(at_a().items.at(0).status == CommStatus::kAperta);
  {
    auto tx = std::move(*b->begin(TxMode::kWrite));
    thread(*tx, pid, "INPS.0001.2026.000002", "Due", 11);
    REQUIRE(tx->commit());
  }
  CHECK(moved());
  auto after_send = at_a();
  CHECK(after_send.total == 2);
  REQUIRE(after_send.items.size() == 2);
  CHECK(after_send.items[0].protocol == "INPS.0001.2026.000002");
  {
    auto tx = std::move(*b->begin(TxMode::kWrite));
    auto c = **tx->communicationById(first);
    c.status = CommStatus::kChiusa;
    c.unread = true;
    REQUIRE(tx->updateCommunication(c));
    REQUIRE(tx->commit());
  }
  CHECK(moved());
  auto after_reply = at_a();
  REQUIRE(after_reply.items.size() == 2);
  CHECK(after_reply.items[1].status == CommStatus::kChiusa);
  CHECK(after_reply.items[1].unread);
  {
    auto tx = std::move(*b->begin(TxMode::kWrite));
    thread(*tx, pid, "INPS.0001.2026.000003", "Tre", 12);
    // Rolled back: the page stays as it was.
  }
  CHECK(at_a().total == 2);
  CHECK_FALSE(moved());
  {
    // Marked read at B: a change to the list too (its unread flag).
    auto tx = std::move(*b->begin(TxMode::kWriteOwn));
    REQUIRE(tx->markRead(first));
    REQUIRE(tx->commit());
  }
  CHECK(moved());
  CHECK_FALSE(at_a().items[1].unread);
  // Another professional's change leaves this one's list version alone.
  {
    auto tx = std::move(*b->begin(TxMode::kWrite));
    const auto other = *tx->insertProfessional(person("GRCFNC70D52L219G", "Greco"), 1);
    thread(*tx, other, "INPS.0001.2026.000004", "Altro", 13);
    REQUIRE(tx->commit());
  }
  CHECK_FALSE(moved());
}

TEST_CASE("store: an empty page of a professional's own list carries the list version", "[store]") {
  // An empty box (no replies yet, nothing unread) is a page the kiosk asks
  // again and again: kept with its version, it is answered from memory
  // until something changes, as a page with threads is.
  Engine e;
  const std::int64_t pid = test::rossiAndThread(e).first;
  const std::int64_t version = *e.read()->listVersion(pid);
  CommFilter received;
  received.professional_id = pid;
  received.box = Box::kReceived;
  const auto none = *e.read()->listCommunications(received);
  CHECK(none.items.empty());
  CHECK(none.total == 0);
  CHECK(none.list_version == version);
  // Past the last page: still the whole list's count, and the version.
  CommFilter past;
  past.professional_id = pid;
  past.page = 3;
  const auto beyond = *e.read()->listCommunications(past);
  CHECK(beyond.items.empty());
  CHECK(beyond.total == 1);
  CHECK(beyond.list_version == version);
}

TEST_CASE("store: the staff's queue version moves with every change any desk makes", "[store]") {
  // Two stores on one database. Each committed change to a thread, and to a
  // professional's names (the queue shows them), moves the queue version on;
  // a rollback does not, nor a change the queue does not show.
  Engine a;
  auto b = std::move(*storage::openStore(a.db.url(), {4, 5000}));
  const auto [pid, first] = test::rossiAndThread(a);
  auto version = [&] { return *a.read()->queueVersion(); };
  std::int64_t seen = version();
  auto moved = [&] {
    const std::int64_t now = version();
    const bool on = now != seen;
    seen = now;
    return on;
  };
  auto at_b = [&](TxMode mode, auto change) {
    auto tx = std::move(*b->begin(mode));
    change(*tx);
    REQUIRE(tx->commit());
  };
  at_b(TxMode::kWrite, [&](Transaction& tx) {
    const auto other = *tx.insertProfessional(person("GRCFNC70D52L219G", "Greco"), 1);
    thread(tx, other, "INPS.0001.2026.000002", "Altro", 11);
  });
  CHECK(moved());
  at_b(TxMode::kWrite, [&](Transaction& tx) {
    auto c = **tx.communicationById(first);
    c.status = CommStatus::kInCarico;
    c.unread = true;
    REQUIRE(tx.updateCommunication(c));
  });
  CHECK(moved());
  at_b(TxMode::kWriteOwn, [&](Transaction& tx) { REQUIRE(tx.markRead(first)); });
  CHECK(moved());
  at_b(TxMode::kWrite, [&](Transaction& tx) {
    REQUIRE(tx.updateProfessionalNames(pid, "Rossi Bianchi", "Maria", 12));
  });
  CHECK(moved());
  at_b(TxMode::kWrite, [&](Transaction& tx) { REQUIRE(tx.setProfessionalPin(pid, "x")); });
  CHECK_FALSE(moved());
  {
    auto tx = std::move(*b->begin(TxMode::kWrite));
    thread(*tx, pid, "INPS.0001.2026.000003", "Tre", 13);
    // Rolled back.
  }
  CHECK_FALSE(moved());
  // Many threads in one transaction (an archive import): moved on, as one change.
  at_b(TxMode::kWrite, [&](Transaction& tx) {
    for (int i = 0; i < 50; ++i) {
      thread(tx, pid, "INPS.0001.2026.1" + std::to_string(100 + i), "Import", 20 + i);
    }
  });
  CHECK(moved());
}

TEST_CASE("store: a read mark never waits for another desk's change to the queue", "[store]") {
  if (!test::onPostgres()) {
    SUCCEED("one kiosk's SQLite file serialises every write (BEGIN IMMEDIATE)");
    return;
  }
  Engine a;
  auto b = std::move(*storage::openStore(a.db.url(), {4, 5000}));
  std::int64_t pid = 0;
  std::int64_t other = 0;
  std::int64_t unread = 0;
  {
    auto tx = a.write();
    pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
    other = *tx->insertProfessional(person("GRCFNC70D52L219G", "Greco"), 1);
    unread = thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
    auto c = **tx->communicationById(unread);
    c.unread = true;
    REQUIRE(tx->updateCommunication(c));
    REQUIRE(tx->commit());
  }
  const std::int64_t before = *a.read()->queueVersion();
  // Desk A registers another professional's thread and has not committed yet
  // (a send's last steps).
  auto holding = a.write();
  thread(*holding, other, "INPS.0001.2026.000002", "Due", 11);
  // Desk B's professional opens their reply meanwhile: marked read at once.
  auto marked = std::async(std::launch::async, [&] {
    auto tx = std::move(*b->begin(TxMode::kWriteOwn));
    if (auto st = tx->markRead(unread); !st) return st;
    return tx->commit();
  });
  REQUIRE(marked.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
  CHECK(marked.get());
  const std::int64_t between = *a.read()->queueVersion();
  CHECK(between != before);
  REQUIRE(holding->commit());
  const std::int64_t after = *a.read()->queueVersion();
  CHECK(after != between);
  CHECK(after != before);
}

TEST_CASE("store: a read that ends having read nothing new leaves its connection fit to write",
          "[store]") {
  // One connection: each transaction below gets the one the last gave back.
  test::TestDatabase db;
  auto store = std::move(*storage::openStore(db.url(), {1, 5000}));
  std::int64_t pid = 0;
  {
    auto tx = std::move(*store->begin(TxMode::kWrite));
    pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
    thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
    REQUIRE(tx->commit());
  }
  CommFilter mine;
  mine.professional_id = pid;
  for (int round = 0; round < 3; ++round) {
    {
      // The same page twice: the second may be answered from memory.
      auto tx = std::move(*store->begin(TxMode::kRead));
      REQUIRE(tx->listCommunications(mine)->total == round + 1);
    }
    {
      auto tx = std::move(*store->begin(TxMode::kRead));
      REQUIRE(tx->listCommunications(mine)->total == round + 1);
      REQUIRE(tx->commit());
    }
    {
      auto tx = std::move(*store->begin(TxMode::kRead));  // nothing read at all
    }
    auto tx = std::move(*store->begin(TxMode::kWrite));
    auto sent = tx->insertCommunication([&] {
      Communication c;
      c.protocol = "INPS.0001.2026.00010" + std::to_string(round);
      c.professional_id = pid;
      c.topic = "contributi";
      c.subject = "Dopo una lettura";
      return c;
    }());
    REQUIRE(sent);
    REQUIRE(tx->commit());
  }
}
