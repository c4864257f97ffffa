// FakeStore: an in-memory Store for unit tests of the domain. A transaction
// works on a copy of the state and publishes it on commit; write transactions
// are serialised by a mutex, as SQLite's write lock does. The same contract
// tests run against it and against SqliteStore.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "domain/audit.h"
#include "domain/ports/store.h"

namespace kiosk::test {

class FakeStore final : public domain::Store {
 public:
  struct State {
    std::map<std::int64_t, domain::Professional> professionals;
    std::map<std::int64_t, std::vector<domain::ContactsVersion>> contacts;
    std::map<std::int64_t, domain::StaffUser> staff;
    std::map<std::int64_t, domain::Session> sessions;
    std::map<std::int64_t, domain::Communication> communications;
    std::map<std::int64_t, domain::Message> messages;  // attachments' metadata inside
    std::map<std::int64_t, domain::StoredFile> files;  // by attachment id
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> idempotency;
    std::map<int, std::int64_t> protocol_counters;
    struct Outbox : domain::OutboxRow {
      domain::OutboxStatus status = domain::OutboxStatus::kPending;
      int attempts = 0;
      std::int64_t next_attempt_at = 0;
      std::string last_error;
      bool in_flight = false;
    };
    std::vector<Outbox> outbox;
    std::vector<domain::AuditEntry> audit;
    std::vector<std::string> audit_hashes;
    std::vector<domain::AuditAnchor> audit_anchors;
    std::vector<domain::PublishedKey> keys;
    std::map<std::string, domain::KioskStatus> kiosks;
    std::int64_t next_id = 1;
  };

  Result<std::unique_ptr<domain::Transaction>> begin(domain::TxMode mode) override;
  Status ping() override { return {}; }
  Status checkWritable() override { return {}; }
  std::optional<std::uint64_t> freeBytes() override { return std::nullopt; }
  std::string describe() const override { return "fake:"; }

  // A copy of the committed state, for assertions.
  State snapshot() {
    std::lock_guard lock(state_mutex_);
    return state_;
  }

 private:
  friend class FakeTransaction;
  std::mutex write_mutex_;  // held by a write transaction for its lifetime
  std::mutex state_mutex_;  // guards state_
  State state_;
};

}  // namespace kiosk::test
