#include "domain/kiosk_monitor.h"

#include <algorithm>

#include "core/rome_time.h"
#include "domain/communications.h"
#include "domain/notifications.h"

namespace kiosk::domain {
namespace {

Result<OutboxBacklog> backlogIn(Transaction& tx) {
  auto pending = tx.countOutbox(OutboxStatus::kPending, std::nullopt);
  if (!pending) return fail(pending.error());
  auto failed = tx.countOutbox(OutboxStatus::kFailed, std::nullopt);
  if (!failed) return fail(failed.error());
  OutboxBacklog b{*pending, *failed, {}};
  for (std::size_t i = 0; i < std::size(kChannels); ++i) {
    auto n = tx.countOutbox(OutboxStatus::kPending, kChannels[i]);
    if (!n) return fail(n.error());
    b.pending_by_channel[i] = *n;
  }
  return b;
}

}  // namespace

KioskMonitor::~KioskMonitor() {
  std::unique_lock lock(health_mutex_);
  if (health_thread_.joinable()) {
    std::thread t = std::move(health_thread_);
    lock.unlock();
    t.join();
  }
}

std::optional<HealthProblem> KioskMonitor::healthWithin(std::chrono::milliseconds wait) {
  std::unique_lock lock(health_mutex_);
  if (!health_running_) {
    if (health_thread_.joinable()) health_thread_.join();  // ended: health_running_ is false
    health_running_ = true;
    health_since_ = std::chrono::steady_clock::now();
    health_thread_ = std::thread([this] {
      auto result = health();
      std::lock_guard done(health_mutex_);
      health_last_ = std::move(result);
      health_running_ = false;
      health_done_.notify_all();
    });
  }
  const auto until = std::max(health_since_ + wait, std::chrono::steady_clock::now() + wait / 4);
  if (health_done_.wait_until(lock, until, [this] { return !health_running_; })) {
    return health_last_;
  }
  const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - health_since_);
  Error e = Error::unavailable("database_unavailable", "Archivio dati non disponibile.");
  e.detail = "no answer from the database for " + std::to_string(silent.count()) + " ms";
  return HealthProblem{HealthPart::kDatabase, std::move(e)};
}

std::optional<HealthProblem> KioskMonitor::health() {
  if (auto st = store_.ping(); !st) return HealthProblem{HealthPart::kDatabase, st.error()};
  if (auto st = storageHealth(); !st) return HealthProblem{HealthPart::kStorage, st.error()};
  if (auto st = checkClock(clock_.nowSeconds(), options_.min_plausible_time); !st) {
    return HealthProblem{HealthPart::kClock, st.error()};
  }
  return std::nullopt;
}

Status KioskMonitor::storageHealth() {
  // SQLite reuses its WAL, so a small write may still pass on a full disk:
  // under 1 MiB free is full whatever the reserve.
  if (auto st = checkFreeSpace(store_, std::max<std::uint64_t>(options_.min_free_bytes, 1 << 20));
      !st) {
    return st;
  }
  std::lock_guard lock(probe_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!probed_at_ || now - *probed_at_ >= std::chrono::seconds(5) || !probe_result_) {
    probe_result_ = store_.checkWritable();
    probed_at_ = now;
  }
  return probe_result_;
}

std::vector<NamedDevice> KioskMonitor::devices() {
  std::vector<NamedDevice> out = {NamedDevice{"printer", printer_.state()},
                                  NamedDevice{"scanner", scanner_.state()},
                                  NamedDevice{"usb", usb_.state()}};
  if (card_) {
    if (auto st = card_->state(); st.status != DeviceStatus::kNotConfigured) {
      out.push_back({"card", std::move(st)});
    }
  }
  return out;
}

Result<SelftestResult> KioskMonitor::selftest(std::vector<SelftestCheck> more) {
  SelftestResult r;
  r.at = clock_.nowSeconds();
  {
    SelftestCheck database{"database", true, true, store_.describe()};
    if (auto st = store_.ping(); !st) {
      database.ok = false;
      database.detail +=
          ": " + (st.error().detail.empty() ? st.error().message : st.error().detail);
    }
    r.checks.push_back(std::move(database));
  }
  // On PostgreSQL the disk is the database server's, not measured from here.
  SelftestCheck storage{"storage", true, true, "il disco è quello del server del database"};
  if (auto free = store_.freeBytes()) {
    storage.detail = std::to_string(*free >> 20) + " MB liberi (riserva " +
                     std::to_string(options_.min_free_bytes >> 20) + " MB)";
  }
  if (auto st = storageHealth(); !st) {
    storage.ok = false;
    storage.detail = st.error().message;
  }
  r.checks.push_back(std::move(storage));
  SelftestCheck clock{"clock", true, true, romeDateTimeText(r.at)};
  if (auto st = checkClock(r.at, options_.min_plausible_time); !st) {
    clock.ok = false;
    clock.detail = st.error().message;
  }
  r.checks.push_back(std::move(clock));
  for (auto& d : devices()) {
    r.checks.push_back({std::string(d.name), d.state.status != DeviceStatus::kNotConfigured,
                        d.state.ready(), std::move(d.state.detail)});
  }
  for (auto& m : more) r.checks.push_back(std::move(m));
  std::string failed;
  for (const auto& c : r.checks) {
    if (c.configured && !c.ok) failed += (failed.empty() ? "" : ", ") + c.part;
  }
  r.ok = failed.empty();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  if (auto st = (*tx)->recordSelftest(
          options_.kiosk_id, r.at, r.ok,
          r.ok ? "tutte le verifiche superate (dallo schermo)" : "non superate: " + failed);
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return r;
}

Result<OutboxBacklog> KioskMonitor::outboxBacklog() {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  return backlogIn(**tx);
}

Result<std::int64_t> KioskMonitor::lockedAccounts() {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  return (*tx)->countLockedAccounts(clock_.nowSeconds());
}

Result<std::vector<FleetEntry>> KioskMonitor::fleet() {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto rows = (*tx)->listKiosks();
  if (!rows) return fail(rows.error());
  const std::int64_t now = clock_.nowSeconds();
  std::vector<FleetEntry> out;
  out.reserve(rows->size());
  for (auto& k : *rows) {
    const std::string_view state = k.last_seen == 0 ? "never_seen"
                                   : now - k.last_seen <= options_.offline_after_seconds
                                       ? "online"
                                       : "offline";
    const bool mine = k.kiosk_id == options_.kiosk_id;
    out.push_back({std::move(k), mine, state});
  }
  return out;
}

Status KioskMonitor::heartbeat(std::int64_t started_at) {
  KioskStatus k;
  k.kiosk_id = options_.kiosk_id;
  k.branch_code = options_.branch_code;
  k.branch_name = options_.branch_name;
  k.version = options_.version;
  k.started_at = started_at;
  k.last_seen = clock_.nowSeconds();
  for (const auto& [name, state] : devices()) {
    if (!k.devices.empty()) k.devices += ' ';
    k.devices += std::string(name) + "=" + std::string(nameOf(state.status));
  }
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto head = (*tx)->auditHead();
  if (!head) return fail(head.error());
  if (*head) k.head = **head;
  auto backlog = backlogIn(**tx);
  if (!backlog) return fail(backlog.error());
  k.outbox_pending = backlog->pending;
  k.outbox_failed = backlog->failed;
  if (auto st = (*tx)->recordHeartbeat(k); !st) return st;
  return (*tx)->commit();
}

}  // namespace kiosk::domain
