#include "domain/notifications.h"

#include <catch2/catch.hpp>
#include <functional>
#include <set>

#include "core/clock.h"
#include "domain/communications.h"
#include "support/fakes.h"
#include "support/seed.h"
#include "support/temp_store.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

struct Fixture {
  test::TempStore store;
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

namespace {
// A PEC server taking a second a message, on the fake clock; `during` runs
// inside the n-th send (another kiosk's dispatcher, meanwhile).
class SlowPec final : public Mailer {
 public:
  SlowPec(test::FakeClock& clock, std::vector<MailMessage>& delivered)
      : clock_(clock), delivered_(delivered) {}
  Status send(const MailMessage& m) override {
    clock_.advance(1);
    if (during) during(++n_);
    delivered_.push_back(m);
    return {};
  }
  Status check() override { return {}; }
  bool configured() const override { return true; }
  std::function<void(int)> during;

 private:
  test::FakeClock& clock_;
  std::vector<MailMessage>& delivered_;
  int n_ = 0;
};
}  // namespace

TEST_CASE("two kiosks and a slow PEC server: each PEC is sent once, whatever the lease",
          "[domain]") {
  test::TempStore store;
  test::FakeClock clock;
  test::FakeSniffer sniffer;
  Contacts c;
  c.pec = "mario@pec.it";
  c.notify = {"pec"};
  const Session pro = test::addProfessional(store, "RSSMRA80A01H501U", c);
  CommunicationService comms(store, clock, sniffer, {"0000"});
  for (int i = 0; i < 20; ++i) {
    SendInput in;
    in.topic = "rimborso";
    in.subject = "Invio " + std::to_string(i);
    in.body = "Testo";
    REQUIRE(comms.send(pro, in));
  }
  std::vector<MailMessage> delivered;
  const NotifyPolicy policy{.lease_seconds = 5, .batch = 20};
  test::FakeMailer email_a, email_b;
  test::FakeSms sms_a, sms_b;
  // A's server takes a second a message; B's answers at once (B's time
  // does not add to A's send: they run side by side).
  SlowPec pec_a(clock, delivered);
  test::FakeMailer pec_b;
  Dispatcher a{store, clock, email_a, pec_a, sms_a, policy};
  Dispatcher b{store, clock, email_b, pec_b, sms_b, policy};
  // Kiosk B's dispatcher wakes while A sends its 7th PEC, six seconds in:
  // longer than the lease, shorter than A's batch.
  pec_a.during = [&](int n) {
    if (n == 7) REQUIRE(b.runOnce());
  };
  REQUIRE(a.runOnce());
  clock.advance(60);
  REQUIRE(a.runOnce());
  REQUIRE(b.runOnce());
  delivered.insert(delivered.end(), pec_b.sent.begin(), pec_b.sent.end());
  CHECK_FALSE(pec_b.sent.empty());  // B did take part
  std::set<std::string> ids;
  for (const auto& m : delivered) ids.insert(m.message_id);
  CHECK(delivered.size() == 20);
  CHECK(ids.size() == 20);
  for (const auto& row : store.snapshot().outbox) {
    CHECK(row.status == OutboxStatus::kSent);
    CHECK(row.attempts == 1);
  }
}

TEST_CASE("a PEC cut off mid-send is held for a technician, never sent twice", "[domain]") {
  Fixture f;
  f.send();
  // A dispatcher claims the PEC row and dies before recording anything.
  {
    auto tx = *f.store.begin(TxMode::kWrite);
    REQUIRE(tx->claimOutbox(f.clock.nowSeconds(), f.clock.nowSeconds() + 120, 1, Channel::kPec)
                ->size() == 1);
    REQUIRE(tx->commit());
  }
  f.clock.advance(121);
  auto stats = f.dispatcher.runOnce(nullptr, Channel::kPec);
  REQUIRE(stats);
  CHECK(stats->sent == 0);
  CHECK(stats->failed == 1);
  CHECK(f.pec.sent.empty());
  const auto row = f.store.snapshot().outbox.front();
  CHECK(row.status == OutboxStatus::kFailed);
  CHECK(row.last_error.find("Riprova") != std::string::npos);
  // The technician checked the provider's receipts and retries: sent once.
  {
    auto tx = *f.store.begin(TxMode::kWrite);
    REQUIRE(*tx->retryOutbox(1, f.clock.nowSeconds()) == 1);
    REQUIRE(tx->commit());
  }
  CHECK(f.dispatcher.runOnce(nullptr, Channel::kPec)->sent == 1);
  CHECK(f.pec.sent.size() == 1);
}
