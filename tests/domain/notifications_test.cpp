#include "domain/notifications.h"

#include <catch2/catch.hpp>

#include "core/clock.h"
#include "domain/communications.h"
#include "support/fake_store.h"
#include "support/fakes.h"
#include "support/seed.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

struct Fixture {
  test::FakeStore store;
  test::FakeClock clock;
  test::FakeSniffer sniffer;
  test::FakeMailer email, pec;
  test::FakeSms sms;
  NotifyPolicy policy{.max_attempts = 3, .base_delay_seconds = 10, .max_delay_seconds = 40};
  Dispatcher dispatcher{store, clock, email, pec, sms, policy};
  Session pro;

  Fixture() {
    Contacts c;
    c.pec = "mario@pec.it";
    c.email = "mario@mail.it";
    c.mobile = "+393331234567";
    c.notify = {"pec", "email", "sms"};
    pro = test::addProfessional(store, "RSSMRA80A01H501U", c);
  }

  void send() {
    CommunicationService comms(store, clock, sniffer, {"0000"});
    SendInput in;
    in.topic = "rimborso";
    in.subject = "Segreto";
    in.body = "Testo riservato";
    REQUIRE(comms.send(pro, in));
  }
};

}  // namespace

TEST_CASE("a registration goes to the PEC and says nothing of the content", "[domain]") {
  Fixture f;
  f.send();
  auto stats = f.dispatcher.runOnce();
  REQUIRE(stats);
  CHECK(stats->sent == 1);
  REQUIRE(f.pec.sent.size() == 1);
  const auto& m = f.pec.sent.front();
  CHECK(m.to == "mario@pec.it");
  CHECK(m.subject.find("INPS.0000.") != std::string::npos);
  CHECK(m.body.find("Accedi al Cassetto previdenziale o al chiosco per leggere") !=
        std::string::npos);
  CHECK(m.body.find("Rimborso") != std::string::npos);
  CHECK(m.body.find("Segreto") == std::string::npos);
  CHECK(m.body.find("riservato") == std::string::npos);
  CHECK(m.message_id.starts_with("<notifica-1."));
  CHECK(f.email.sent.empty());
  // Sent rows are not sent again.
  CHECK(f.dispatcher.runOnce()->sent == 0);
}

TEST_CASE("a failed send backs off, is retried, and fails after the last attempt", "[domain]") {
  Fixture f;
  f.send();
  f.pec.down = true;
  CHECK(f.dispatcher.runOnce()->retried == 1);
  CHECK(f.dispatcher.runOnce()->retried == 0);  // not due yet
  f.clock.advance(10);
  CHECK(f.dispatcher.runOnce()->retried == 1);
  f.clock.advance(20);
  CHECK(f.dispatcher.runOnce()->failed == 1);
  CHECK(f.store.snapshot().outbox.front().status == domain::OutboxStatus::kFailed);
  f.clock.advance(1000);
  CHECK(f.dispatcher.runOnce()->sent == 0);  // failed rows wait for a technician
  auto tx = *f.store.begin(TxMode::kWrite);
  CHECK(*tx->retryOutbox(0, f.clock.nowSeconds()) == 1);
  REQUIRE(tx->commit());
  tx.reset();
  f.pec.down = false;
  CHECK(f.dispatcher.runOnce()->sent == 1);
}

TEST_CASE("backoff doubles, is capped and jittered", "[domain]") {
  Fixture f;
  for (int i = 0; i < 50; ++i) {
    const auto first = f.dispatcher.backoff(1);
    CHECK(first >= 5);
    CHECK(first <= 10);
    const auto later = f.dispatcher.backoff(10);
    CHECK(later >= 20);
    CHECK(later <= 40);
  }
}

// The lease itself is part of the Store contract, checked on the real engines
// (tests/storage/store_contract_test.cpp, "[outbox]").

TEST_CASE("every SMS text fits one GSM-7 message", "[domain]") {
  for (auto event : {domain::NotifyEvent::kRegistered, domain::NotifyEvent::kReplied,
                     domain::NotifyEvent::kInstituteWrote, domain::NotifyEvent::kClosed}) {
    const auto t = notificationText(event, "INPS.0000.2026.0000001", "Riduzione sanzioni civili");
    INFO(t.sms);
    CHECK(fitsOneSms(t.sms));
  }
  CHECK_FALSE(fitsOneSms(std::string(161, 'a')));
  CHECK_FALSE(fitsOneSms("prezzo 10 € ok"));  // € is an extension character
}
