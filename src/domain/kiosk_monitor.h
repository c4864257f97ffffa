// KioskMonitor: the kiosk as its monitoring and its technicians see it:
// whether it can serve (database, storage, clock), its devices, the outbox
// backlog, locked accounts, and every kiosk on the database with this one's
// heartbeat. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/ports/card.h"
#include "domain/ports/devices.h"
#include "domain/ports/printer.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

struct MonitorOptions {
  std::string kiosk_id;
  std::string branch_code;
  std::string branch_name;
  std::string version;
  std::uint64_t min_free_bytes = 0;          // storage_full below this
  std::int64_t min_plausible_time = 0;       // clock_implausible before this
  std::int64_t offline_after_seconds = 180;  // three missed heartbeats
};

// The first reason the kiosk cannot serve, in this order.
enum class HealthPart { kDatabase, kStorage, kClock };
struct HealthProblem {
  HealthPart part;
  Error error;
};

struct NamedDevice {
  std::string_view name;  // "printer", "scanner", "usb", and "card" where a reader is configured
  DeviceState state;
};

struct OutboxBacklog {
  std::int64_t pending = 0;
  std::int64_t failed = 0;
  std::int64_t pending_by_channel[3] = {};  // in kChannels order
};

// One line of a self-test: a part of the kiosk, whether the kiosk has it,
// and whether it works, with what was found (Italian where the kiosk writes it).
struct SelftestCheck {
  std::string part;  // "database", "storage", "clock", "printer", "scanner", "usb", "card", "mail",
                     // "pec", "sms"
  bool configured = true;
  bool ok = true;
  std::string detail;
};

struct SelftestResult {
  bool ok = true;
  std::int64_t at = 0;
  std::vector<SelftestCheck> checks;
};

// A kiosk on the database as the technician's screen lists it.
struct FleetEntry {
  KioskStatus kiosk;
  bool this_kiosk = false;
  std::string_view state;  // "online", "offline" (silent too long), "never_seen"
};

class KioskMonitor {
 public:
  KioskMonitor(Store& store,
               const Clock& clock,
               Printer& printer,
               Scanner& scanner,
               UsbMedia& usb,
               MonitorOptions options,
               CardReader* card = nullptr)
      : store_(store),
        clock_(clock),
        printer_(printer),
        scanner_(scanner),
        usb_(usb),
        card_(card),
        options_(std::move(options)) {}
  ~KioskMonitor();
  KioskMonitor(const KioskMonitor&) = delete;
  KioskMonitor& operator=(const KioskMonitor&) = delete;

  // /healthz: health() run on a probe thread, waited for at most `wait`. A
  // probe still running after that (a frozen database) answers
  // database_unavailable at once, and the next call waits for the same probe
  // instead of starting another: the answer never takes longer than `wait`.
  std::optional<HealthProblem> healthWithin(std::chrono::milliseconds wait);

  // nullopt when the kiosk can serve. The database answers; it takes a
  // write (probed at most every 5 s, a probe is one committed page) and
  // keeps the reserve free; the wall clock is plausible.
  std::optional<HealthProblem> health();

  std::vector<NamedDevice> devices();
  // The self-test a technician runs from the screen: the database, its disk
  // and the clock, each device the kiosk has, and `more` (the notification
  // providers, probed by the caller); recorded for the fleet list like the
  // `selftest` command's.
  Result<SelftestResult> selftest(std::vector<SelftestCheck> more);
  Result<OutboxBacklog> outboxBacklog();
  Result<std::int64_t> lockedAccounts();
  std::optional<std::uint64_t> freeBytes() { return store_.freeBytes(); }

  // Every kiosk on the database, by id.
  Result<std::vector<FleetEntry>> fleet();
  // "sqlite:/path" or the PostgreSQL URL without credentials.
  std::string database() const { return store_.describe(); }

  // Records this kiosk's heartbeat: version, devices, the audit head, the
  // outbox backlog (serve: at start and every minute).
  Status heartbeat(std::int64_t started_at);

 private:
  Status storageHealth();

  Store& store_;
  const Clock& clock_;
  Printer& printer_;
  Scanner& scanner_;
  UsbMedia& usb_;
  CardReader* card_;  // nullptr: no reader
  MonitorOptions options_;
  std::mutex health_mutex_;
  std::condition_variable health_done_;
  std::thread health_thread_;                           // guarded by health_mutex_
  bool health_running_ = false;                         // guarded by health_mutex_
  std::optional<HealthProblem> health_last_;            // guarded by health_mutex_
  std::chrono::steady_clock::time_point health_since_;  // the running probe's start
  std::mutex probe_mutex_;
  std::optional<std::chrono::steady_clock::time_point> probed_at_;  // guarded
  Status probe_result_;                                             // guarded
};

}  // namespace kiosk::domain
