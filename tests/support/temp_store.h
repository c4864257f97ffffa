// TempStore: the real SQLite store on a file in a temporary folder, for the
// domain's unit tests (it replaced an in-memory fake that had drifted from
// the engines: a case-sensitive search, no caps, no foreign keys). Also a
// snapshot of what is committed, read back with plain SQL, for assertions.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "domain/ports/store.h"
#include "support/temp_dir.h"

namespace kiosk::test {

class TempStore final : public domain::Store {
 public:
  TempStore();

  // What the database holds, committed, by id (or in id order).
  struct State {
    std::map<std::int64_t, domain::Professional> professionals;
    std::map<std::int64_t, std::vector<domain::ContactsVersion>> contacts;  // by professional
    std::map<std::int64_t, domain::StaffUser> staff;
    std::map<std::int64_t, domain::Session> sessions;
    std::map<std::int64_t, domain::Communication> communications;
    std::map<int, std::int64_t> protocol_counters;  // year → last number
    std::vector<domain::OutboxItem> outbox;
    std::vector<domain::AuditEntry> audit;
  };
  State snapshot() const;

  // The database file (for SQL outside the kiosk).
  std::string file() const { return dir_.file("kiosk.db"); }

  Result<std::unique_ptr<domain::Transaction>> begin(domain::TxMode mode) override {
    return store_->begin(mode);
  }
  Status ping() override { return store_->ping(); }
  Status checkWritable() override { return store_->checkWritable(); }
  std::optional<std::uint64_t> freeBytes() override { return store_->freeBytes(); }
  std::string describe() const override { return store_->describe(); }
  std::chrono::milliseconds listNewsDelay() const override { return store_->listNewsDelay(); }

 private:
  TempDir dir_;
  std::unique_ptr<domain::Store> store_;
};

}  // namespace kiosk::test
