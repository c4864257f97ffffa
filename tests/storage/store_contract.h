// The domain::Store contract's shared pieces: the engine under test (SQLite, or
// PostgreSQL under tests/storage/pg_suite.sh) and a few records.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>

#include "domain/ports/store.h"
#include "storage/open_store.h"
#include "support/test_database.h"

namespace kiosk::test {

struct Engine {
  TestDatabase db;
  std::unique_ptr<domain::Store> store = std::move(*storage::openStore(db.url(), {12, 5000}));

  std::unique_ptr<domain::Transaction> write() {
    return std::move(*store->begin(domain::TxMode::kWrite));
  }
  std::unique_ptr<domain::Transaction> read() {
    return std::move(*store->begin(domain::TxMode::kRead));
  }
};

inline domain::Professional person(const std::string& cf, const std::string& surname) {
  domain::Professional p;
  p.codice_fiscale = cf;
  p.surname = surname;
  p.name = "Maria";
  return p;
}

// A thread with one message; returns the communication's id.
inline std::int64_t thread(domain::Transaction& tx,
                           std::int64_t professional_id,
                           const std::string& protocol,
                           const std::string& subject,
                           std::int64_t at,
                           domain::CommStatus status = domain::CommStatus::kAperta,
                           const std::string& topic = "contributi") {
  domain::Communication c;
  c.protocol = protocol;
  c.professional_id = professional_id;
  c.topic = topic;
  c.subject = subject;
  c.status = status;
  c.created_at = at;
  c.updated_at = at;
  auto id = tx.insertCommunication(c);
  REQUIRE(id);
  domain::Message m;
  m.communication_id = *id;
  m.body = "Testo di " + subject;
  m.created_at = at;
  REQUIRE(tx.insertMessage(m));
  return *id;
}

// `count` threads of `owner`, the i-th (from 1) with protocol
// INPS.0001.2026.00000i, subject `subject(i)`, created at `at(i)`.
template <typename Subject, typename At>
void numberedThreads(
    domain::Transaction& tx, std::int64_t owner, int count, Subject subject, At at) {
  for (int i = 1; i <= count; ++i) {
    char protocol[32];
    std::snprintf(protocol, sizeof protocol, "INPS.0001.2026.%06d", i);
    thread(tx, owner, protocol, subject(i), at(i));
  }
}

// Rossi with `count` numbered threads as above, committed, and the tables
// analysed (on PostgreSQL a search's way follows the words' shares).
template <typename Subject, typename At>
void rossiWithThreads(Engine& e, int count, Subject subject, At at) {
  auto tx = e.write();
  const auto rossi = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  numberedThreads(*tx, rossi, count, subject, at);
  REQUIRE(tx->commit());
  REQUIRE(e.db.exec("ANALYZE").empty());
}

// How many threads the staff's search for `q` finds (up to the cap).
inline std::int64_t searchTotal(domain::Transaction& tx, const std::string& q) {
  domain::CommFilter f;
  f.q = q;
  return tx.listCommunications(f)->total;
}

// Rossi and one thread of theirs: {the professional's id, the thread's}.
inline std::pair<std::int64_t, std::int64_t> rossiAndThread(Engine& e) {
  auto tx = e.write();
  const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  const auto id = thread(*tx, pid, "INPS.0000.2026.0000001", "Rimborso", 10);
  REQUIRE(tx->commit());
  return {pid, id};
}

inline std::int64_t rossiWithOneThread(Engine& e) { return rossiAndThread(e).second; }

}  // namespace kiosk::test
