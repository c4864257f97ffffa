// The Store contract, part three: the outbox (claims, leases, marks, retries)
// and a send's files written before the fleet's write lock, on the real
// engine (SQLite, or PostgreSQL under tests/storage/pg_suite.sh). Tagged [store].
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <span>
#include <thread>

#include "storage/store_contract.h"

using namespace kiosk;
using namespace kiosk::domain;
using test::Engine;
using test::person;
using test::thread;

TEST_CASE("store: the outbox is claimed with a lease, marked, listed and retried",
          "[store][outbox]") {
  Engine e;
  std::int64_t cid = 0, mid_receipt = 0;
  {
    auto tx = e.write();
    const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
    cid = thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
    mid_receipt = (*tx->messagesOf(cid))[0].id;
    const OutboxRow registered[] = {
        {cid, NotifyEvent::kRegistered, Channel::kPec, "rossi@pec.it", 100, 0},
        {cid, NotifyEvent::kRegistered, Channel::kSms, "+393331234567", 100, 0}};
    REQUIRE(tx->insertOutboxRows(registered));  // two rows in one statement
    REQUIRE(tx->insertOutbox(
        {cid, NotifyEvent::kReceipt, Channel::kPec, "rossi@pec.it", 200, mid_receipt}));
    REQUIRE(tx->commit());
  }
  std::vector<OutboxItem> claimed;
  {
    auto tx = e.write();
    claimed = *tx->claimOutbox(150, 180, 10, std::nullopt);  // the receipt is not due yet
    REQUIRE(tx->commit());
  }
  REQUIRE(claimed.size() == 2);
  CHECK(claimed[0].protocol == "INPS.0001.2026.000001");
  CHECK(claimed[0].topic == "contributi");
  CHECK(claimed[0].event == NotifyEvent::kRegistered);
  CHECK(claimed[0].channel == Channel::kPec);
  CHECK(claimed[0].recipient == "rossi@pec.it");
  CHECK(claimed[0].status == OutboxStatus::kPending);
  CHECK(claimed[0].attempts == 0);
  CHECK(claimed[0].message_id == 0);
  CHECK(claimed[1].channel == Channel::kSms);
  CHECK(claimed[1].recipient == "+393331234567");
  CHECK(claimed[1].next_attempt_at == 100);
  // Leased: nobody claims them again before 180, then they are due again.
  CHECK(e.write()->claimOutbox(179, 300, 10, std::nullopt)->empty());
  {
    auto tx = e.write();
    CHECK(*tx->markOutboxSent(claimed[0].id, 180, 181));
    CHECK(*tx->markOutboxAttempt(claimed[1].id, 180, 5, 0, "gateway down", true));
    REQUIRE(tx->commit());
  }
  {
    auto tx = e.write();
    auto due = *tx->claimOutbox(250, 400, 10, std::nullopt);
    REQUIRE(due.size() == 1);
    CHECK(due[0].event == NotifyEvent::kReceipt);
    CHECK(due[0].message_id == mid_receipt);
    CHECK(*tx->markOutboxAttempt(due[0].id, 400, 1, 500, "timeout", false));
    REQUIRE(tx->commit());
  }
  auto r = e.read();
  auto every = *r->listOutbox(std::nullopt, 10);
  REQUIRE(every.size() == 3);
  CHECK(every[0].event == NotifyEvent::kReceipt);  // newest first
  CHECK(every[0].status == OutboxStatus::kPending);
  CHECK(every[0].attempts == 1);
  CHECK(every[0].next_attempt_at == 500);
  CHECK(every[0].last_error == "timeout");
  CHECK(every[2].status == OutboxStatus::kSent);
  CHECK(every[2].attempts == 1);
  CHECK(r->listOutbox(std::nullopt, 1)->size() == 1);
  auto failed = *r->listOutbox(OutboxStatus::kFailed, 10);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].last_error == "gateway down");
  CHECK(*r->countOutbox(OutboxStatus::kPending, std::nullopt) == 1);
  CHECK(*r->countOutbox(OutboxStatus::kFailed, std::nullopt) == 1);
  CHECK(*r->countOutbox(OutboxStatus::kSent, std::nullopt) == 1);
  r.reset();
  auto tx = e.write();
  CHECK(*tx->retryOutbox(failed[0].id + 100, 600) == 0);
  CHECK(*tx->retryOutbox(0, 600) == 1);
  CHECK(*tx->retryOutbox(0, 600) == 0);
  auto again = *tx->listOutbox(OutboxStatus::kPending, 10);
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
      REQUIRE(tx->insertOutbox({cid, NotifyEvent::kRegistered, Channel::kEmail,
                                "r" + std::to_string(i) + "@x.it", 100, 0}));
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
        auto got = (*tx)->claimOutbox(150, 10000, 3, std::nullopt);
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

namespace {
// One thread with one PEC row due at 100.
void onePecRow(Engine& e) {
  auto tx = e.write();
  const auto pid = *tx->insertProfessional(person("RSSMRA80A01H501U", "Rossi"), 1);
  const auto cid = thread(*tx, pid, "INPS.0001.2026.000001", "Uno", 10);
  REQUIRE(tx->insertOutbox({cid, NotifyEvent::kRegistered, Channel::kPec, "r@pec.it", 100, 0}));
  REQUIRE(tx->commit());
}
}  // namespace

TEST_CASE("store: a row is marked only while its claim holds, never by a kiosk whose lease ran out",
          "[store][outbox]") {
  Engine e;
  onePecRow(e);
  // Kiosk A claims until 120 and is slow; at 130 kiosk B finds the lease run out.
  std::vector<OutboxItem> a;
  {
    auto tx = e.write();
    a = *tx->claimOutbox(100, 120, 1, std::nullopt);
    REQUIRE(tx->commit());
  }
  REQUIRE(a.size() == 1);
  std::vector<OutboxItem> b;
  {
    auto tx = e.write();
    b = *tx->claimOutbox(130, 150, 1, std::nullopt);
    REQUIRE(tx->commit());
  }
  REQUIRE(b.size() == 1);
  {
    auto tx = e.write();
    CHECK_FALSE(*tx->markOutboxSent(a[0].id, 120, 131));  // A no longer holds it
    CHECK_FALSE(*tx->markOutboxAttempt(a[0].id, 120, 1, 500, "timeout", false));
    REQUIRE(tx->commit());
  }
  auto still = (*e.read()->listOutbox(std::nullopt, 1))[0];
  CHECK(still.status == OutboxStatus::kPending);
  CHECK(still.attempts == 0);
  {
    auto tx = e.write();
    CHECK(*tx->markOutboxSent(b[0].id, 150, 132));        // B does
    CHECK_FALSE(*tx->markOutboxSent(b[0].id, 150, 133));  // and once
    REQUIRE(tx->commit());
  }
  auto sent = (*e.read()->listOutbox(std::nullopt, 1))[0];
  CHECK(sent.status == OutboxStatus::kSent);
  CHECK(sent.attempts == 1);
}

TEST_CASE("store: a row claimed again before any outcome says it was in flight",
          "[store][outbox]") {
  Engine e;
  onePecRow(e);
  const auto claim = [&](std::int64_t now, std::int64_t lease) {
    auto tx = e.write();
    auto got = *tx->claimOutbox(now, lease, 1, Channel::kPec);
    REQUIRE(tx->commit());
    REQUIRE(got.size() == 1);
    return got[0];
  };
  CHECK_FALSE(claim(100, 120).was_in_flight);
  // Its kiosk died mid-send: the next claim, after the lease, knows it.
  const auto again = claim(130, 150);
  CHECK(again.was_in_flight);
  {
    auto tx = e.write();
    CHECK(*tx->markOutboxAttempt(again.id, 150, 0, 130, "uncertain", true));
    REQUIRE(tx->commit());
  }
  // A technician's retry starts it afresh.
  {
    auto tx = e.write();
    CHECK(*tx->retryOutbox(again.id, 200) == 1);
    REQUIRE(tx->commit());
  }
  const auto retried = claim(200, 220);
  CHECK_FALSE(retried.was_in_flight);
  {
    auto tx = e.write();
    CHECK(*tx->markOutboxSent(retried.id, 220, 201));
    REQUIRE(tx->commit());
  }
  CHECK_FALSE((*e.read()->listOutbox(std::nullopt, 1))[0].was_in_flight);
}

TEST_CASE("store: files staged before the write lock reach their message, none is left without one",
          "[store]") {
  Engine e;
  const std::int64_t comm = rossiWithOneThread(e);
  const std::vector<NewAttachment> files = {
      {"uno.pdf", "application/pdf", "h1", std::string("%PDF-1.4 uno")},
      {"due.png", "image/png", "h2", std::string("\x89PNG due", 8)}};
  {
    auto tx = std::move(*e.store->begin(TxMode::kWriteLate));
    REQUIRE(tx->stageAttachments(files));
    REQUIRE(tx->serialize());
    Message m;
    m.communication_id = comm;
    m.body = "Con due allegati";
    m.created_at = 11;
    const auto mid = *tx->insertMessage(m);
    auto ids = tx->insertStagedAttachments(mid);
    REQUIRE(ids);
    REQUIRE(ids->size() == 2);
    CHECK(ids->at(0) < ids->at(1));
    REQUIRE(tx->commit());
    const auto messages = *e.read()->messagesOf(comm);
    REQUIRE(messages.size() == 2);
    REQUIRE(messages[1].attachments.size() == 2);
    CHECK(messages[1].attachments[0].filename == "uno.pdf");
    CHECK(messages[1].attachments[1].id == ids->at(1));
    CHECK((*e.read()->attachmentById(ids->at(1)))->data == std::string("\x89PNG due", 8));
  }
  CHECK(e.db.number("SELECT count(*) FROM attachments") == 2);
  {
    // Staged and never given a message: not stored, whatever the commit says
    // (PostgreSQL refuses it; SQLite had not written it yet).
    auto tx = std::move(*e.store->begin(TxMode::kWriteLate));
    REQUIRE(tx->stageAttachments(std::span(files).first(1)));
    REQUIRE(tx->serialize());
    (void)tx->commit();
  }
  CHECK(e.db.number("SELECT count(*) FROM attachments") == 2);
  // A stored attachment still cannot be moved to another message.
  CHECK_FALSE(e.db.exec("UPDATE attachments SET message_id = message_id").empty());
  CHECK_FALSE(e.db.exec("UPDATE attachments SET filename = 'x.pdf'").empty());
}

TEST_CASE("store: a send's files are written while another kiosk holds the write lock", "[store]") {
  if (!test::onPostgres()) {
    SUCCEED("one kiosk's SQLite file serialises every write (BEGIN IMMEDIATE)");
    return;
  }
  Engine e;
  auto b = std::move(*storage::openStore(e.db.url(), {4, 5000}));
  const std::vector<NewAttachment> files = {
      {"uno.pdf", "application/pdf", "h1", std::string(1 << 20, 'x')}};
  auto holding = e.write();  // kiosk A: the fleet's write lock, held
  auto late = std::move(*b->begin(TxMode::kWriteLate));
  auto staged = std::async(std::launch::async, [&] { return late->stageAttachments(files); });
  REQUIRE(staged.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  REQUIRE(staged.get());
  auto serialized = std::async(std::launch::async, [&] { return late->serialize(); });
  CHECK(serialized.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  REQUIRE(holding->commit());
  REQUIRE(serialized.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(serialized.get());
}
