#include "app/kiosk_app.h"

#include <ctime>

#include "core/log.h"
#include "devices/cups_printer.h"
#include "domain/audit.h"
#include "http/api.h"

namespace kiosk::app {

KioskApp::KioskApp(const config::Config& config,
                   std::unique_ptr<domain::Store> store,
                   std::unique_ptr<domain::ReceiptSigner> signer,
                   const Clock& clock)
    : config_(config),
      store_(std::move(store)),
      clock_(clock),
      assets_(config_.webui_dir),
      auth_(*store_, clock_, config_.auth, &metrics_),
      contacts_(*store_, clock_),
      communications_(
          *store_,
          clock_,
          sniffer_,
          {config_.branch_code, static_cast<std::uint64_t>(config_.min_free_mb) * 1024 * 1024,
           KIOSK_MIN_PLAUSIBLE_TIME}),
      signer_(std::move(signer)),
      receipts_(*store_,
                *signer_,
                {config_.branch_code, config_.branch_name, config_.kiosk_id,
                 config_.verify_url.empty() ? "http://" + config_.listen + "/verifica"
                                            : config_.verify_url},
                &clock_),
      printer_(
          config_.printer_queue.empty()
              ? std::unique_ptr<domain::Printer>(new devices::NoPrinter())
              : std::unique_ptr<domain::Printer>(new devices::CupsPrinter(config_.printer_queue))),
      email_(config_.mail),
      pec_(config_.pec),
      sms_(config_.sms),
      dispatcher_(*store_, clock_, email_, pec_, sms_, config_.notify, &metrics_),
      scanner_(config_.scanner),
      usb_(config_.usb_mount, sniffer_),
      server_(http::ServerOptions{config_.listen, config_.threads, config_.request_timeout_ms,
                                  static_cast<std::size_t>(config_.max_json_bytes)},
              router_,
              metrics_) {
  dispatcher_.mailReceiptsWith(receipts_, renderer_);
  http::registerApi(
      router_,
      {*store_, clock_, auth_, contacts_, communications_, metrics_, assets_, receipts_, renderer_,
       *printer_, config_.kiosk_id, dispatcher_, outbox_, receipt_desk_, scanner_, usb_,
       [this] { wakeDispatcher(); }},
      {config_.cookie_secure, config_.branch_name, config_.kiosk_id, config_.idle_seconds,
       config_.countdown_seconds, config_.login_attempts_per_minute, config_.concurrent_logins,
       static_cast<std::uint64_t>(config_.min_free_mb) * 1024 * 1024, KIOSK_MIN_PLAUSIBLE_TIME,
       KIOSK_VERSION});
}

Status KioskApp::start() {
  if (auto st = server_.start(); !st) return st;
  email_.abortOn(&stopping_);
  pec_.abortOn(&stopping_);
  sms_.abortOn(&stopping_);
  dispatch_thread_ = std::thread([this] {
    std::unique_lock lock(dispatch_mutex_);
    while (!dispatch_stop_) {
      lock.unlock();
      // Nothing thrown here may end the kiosk: the rows stay leased and are
      // taken again when the lease runs out.
      try {
        auto stats = dispatcher_.runOnce(&stopping_);
        if (!stats) log::error("dispatch_failed", {{"detail", stats.error().detail}});
      } catch (const std::exception& e) {
        log::error("dispatch_failed", {{"detail", std::string("exception: ") + e.what()}});
      } catch (...) {
        log::error("dispatch_failed", {{"detail", "unknown exception"}});
      }
      lock.lock();
      dispatch_wake_.wait_for(lock, std::chrono::seconds(config_.notify_poll_seconds),
                              [this] { return dispatch_stop_ || dispatch_now_; });
      dispatch_now_ = false;
    }
  });
  return {};
}

void KioskApp::wakeDispatcher() {
  {
    std::lock_guard lock(dispatch_mutex_);
    dispatch_now_ = true;
  }
  dispatch_wake_.notify_all();
}

void KioskApp::stop() {
  stopping_ = true;  // a silent SMTP server must not hold the shutdown
  server_.stop();
  {
    std::lock_guard lock(dispatch_mutex_);
    dispatch_stop_ = true;
  }
  dispatch_wake_.notify_all();
  if (dispatch_thread_.joinable()) dispatch_thread_.join();
  flushSessionTouches();
}

void KioskApp::anchorAudit() {
  auto tx = store_->begin(domain::TxMode::kWrite);
  if (!tx) return;
  auto head = domain::anchorAudit(**tx, *signer_, config_.kiosk_id, clock_.nowSeconds());
  if (!head || !(*tx)->commit()) {
    log::warn("audit_anchor_failed", {{"detail", head ? "commit" : head.error().detail}});
  }
}

void KioskApp::heartbeat() {
  domain::KioskStatus k;
  k.kiosk_id = config_.kiosk_id;
  k.branch_code = config_.branch_code;
  k.branch_name = config_.branch_name;
  k.version = KIOSK_VERSION;
  k.started_at = started_at_;
  k.last_seen = clock_.nowSeconds();
  const std::pair<const char*, domain::DeviceState> devices[] = {
      {"printer", printer_->state()}, {"scanner", scanner_.state()}, {"usb", usb_.state()}};
  for (const auto& [name, state] : devices) {
    k.devices += std::string(k.devices.empty() ? "" : " ") + name + "=" + state.status;
  }
  auto tx = store_->begin(domain::TxMode::kWrite);
  if (!tx) {
    log::warn("heartbeat_failed", {{"detail", tx.error().detail}});
    return;
  }
  Status st = [&]() -> Status {
    auto head = (*tx)->auditHead();
    if (!head) return fail(head.error());
    if (*head) k.head = **head;
    for (auto [status, count] :
         {std::pair{"pending", &k.outbox_pending}, std::pair{"failed", &k.outbox_failed}}) {
      auto rows = (*tx)->listOutbox(status, 100000);
      if (!rows) return fail(rows.error());
      *count = static_cast<std::int64_t>(rows->size());
    }
    if (auto rec = (*tx)->recordHeartbeat(k); !rec) return rec;
    return (*tx)->commit();
  }();
  if (!st) log::warn("heartbeat_failed", {{"detail", st.error().detail}});
}

void KioskApp::flushSessionTouches() {
  if (auto st = auth_.flushTouches(); !st) {
    log::warn("session_touch_failed", {{"detail", st.error().detail}});
  }
}

void KioskApp::sweepSessions() {
  flushSessionTouches();
  const auto now = clock_.nowSeconds();
  // After the wall clock stepped forward, sessions last seen before the step
  // look older than they are: the sweep allows for the step (the server
  // still ends each one on its monotonic idle time when it is next used).
  const std::int64_t step =
      std::max<std::int64_t>(0, (now - clock_.monotonicSeconds()) - wall_minus_mono_);
  auto tx = store_->begin(domain::TxMode::kWrite);
  if (!tx) return;
  auto n = (*tx)->deleteExpiredSessions(now - config_.auth.idle_timeout_seconds - step,
                                        now - config_.auth.absolute_lifetime_seconds - step);
  if (n && (*tx)->commit() && *n > 0) {
    log::info("sessions_expired", {{"count", std::to_string(*n)}});
  }
}

std::string receiptKeyPath(const config::Config& config) {
  if (!config.receipt_key_file.empty()) return config.receipt_key_file;
  std::string db = config.db;
  // A shared database is no file: the key lives in the kiosk's own folder.
  if (db.starts_with("postgresql:") || db.starts_with("postgres:")) return "var/receipt-key";
  if (db.starts_with("sqlite:")) db.erase(0, 7);
  return db + ".receipt-key";
}

Status publishReceiptKeys(domain::Store& store,
                          const receipts::Ed25519Signer& signer,
                          const std::string& kiosk_id) {
  auto tx = store.begin(domain::TxMode::kWrite);
  if (!tx) return fail(tx.error());
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<domain::PublishedKey> keys;
  for (const auto& line : signer.retired()) {  // "KEYID PUBLICHEX"
    const auto space = line.find(' ');
    if (space != std::string::npos) {
      keys.push_back({line.substr(0, space), kiosk_id, line.substr(space + 1), now});
    }
  }
  keys.push_back({signer.keyId(), kiosk_id, signer.publicKeyHex(), now});
  for (const auto& k : keys) {
    if (auto st = (*tx)->publishReceiptKey(k); !st) return st;
  }
  return (*tx)->commit();
}

Status seedDemo(domain::Store& store, domain::AuthService& auth, const Clock& clock) {
  constexpr const char* kCf = "RSSMRA80A01H501U";
  bool needs_pin = false;
  {
    auto tx = store.begin(domain::TxMode::kWrite);
    if (!tx) return fail(tx.error());
    auto p = (*tx)->findProfessional(kCf);
    if (!p) return fail(p.error());
    if (!*p) {
      domain::Professional demo;
      demo.codice_fiscale = kCf;
      demo.surname = "Rossi";
      demo.name = "Mario";
      auto id = (*tx)->insertProfessional(demo, clock.nowSeconds());
      if (!id) return fail(id.error());
      domain::Contacts c;
      c.pec = "mario.rossi@pec.example.com";
      c.email = "mario.rossi@mail.example.com";
      c.mobile = "+393331234567";
      c.notify = {"pec", "email", "sms"};
      auto v =
          (*tx)->addContactsVersion(*id, c, domain::ContactsSource::kArchive, clock.nowSeconds());
      if (!v) return fail(v.error());
      needs_pin = true;
    } else {
      needs_pin = (*p)->pin_hash.empty();
    }
    if (auto st = (*tx)->commit(); !st) return st;
  }
  if (needs_pin) {
    if (auto st = auth.setPin(kCf, "12345678"); !st) return st;
  }
  for (auto [user, password, role, name] :
       {std::tuple{"sportello", "sportello-demo", domain::Role::kStaff, "Sportello demo"},
        std::tuple{"tecnico", "tecnico-demo", domain::Role::kTechnician, "Tecnico demo"}}) {
    auto tx = store.begin(domain::TxMode::kRead);
    if (!tx) return fail(tx.error());
    auto found = (*tx)->findStaff(user);
    if (!found) return fail(found.error());
    tx->reset();  // release the connection before addStaff opens its own
    if (!*found) {
      if (auto st = auth.addStaff(user, role, password, name); !st) return st;
    }
  }
  return {};
}

}  // namespace kiosk::app
