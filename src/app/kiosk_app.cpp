#include "app/kiosk_app.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/log.h"
#include "devices/card_certificates.h"
#include "devices/cups_printer.h"
#include "devices/espeak_speaker.h"
#include "devices/pkcs11_card.h"
#include "devices/sane_scanner.h"
#include "devices/usb_media.h"
#include "domain/audit.h"
#include "filetypes/magic_sniffer.h"
#include "http/api.h"
#include "notify/curl_notifiers.h"
#include "receipts/pdf_receipt.h"
#include "storage/open_store.h"

namespace kiosk::app {

namespace {

// The free space a send must leave: the same reserve for the send's check
// and for /healthz.
std::uint64_t reserveBytes(const config::Config& config) {
  return static_cast<std::uint64_t>(config.min_free_mb) * 1024 * 1024;
}

// When the newest backup in `dir` was taken: its manifest's time (0: none).
std::int64_t newestBackup(const std::string& dir) {
  std::int64_t newest = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (!it->path().filename().string().starts_with("cassetto-")) continue;
    struct stat st {};
    if (::stat((it->path() / "manifest").c_str(), &st) == 0) {
      newest = std::max<std::int64_t>(newest, st.st_mtime);
    }
  }
  return newest;
}

}  // namespace

Ports realPorts(const config::Config& config,
                std::unique_ptr<domain::Store> store,
                std::unique_ptr<domain::ReceiptSigner> signer) {
  Ports p;
  p.store = std::move(store);
  p.signer = std::move(signer);
  p.sniffer = std::make_unique<filetypes::MagicSniffer>();
  p.renderer = std::make_unique<receipts::PdfReceiptRenderer>();
  if (config.printer_queue.empty()) {
    p.printer = std::make_unique<devices::NoPrinter>();
  } else {
    p.printer =
        std::make_unique<devices::CupsPrinter>(config.printer_queue, config.printer_max_pages);
  }
  // A send ends before its row's lease does: past the lease another kiosk
  // may take the row and send it again.
  const int send_limit = std::max(1, config.notify.lease_seconds - 1);
  notify::MailSettings mail = config.mail, pec_settings = config.pec;
  notify::SmsSettings sms_settings = config.sms;
  mail.timeout_seconds = std::min(mail.timeout_seconds, send_limit);
  pec_settings.timeout_seconds = std::min(pec_settings.timeout_seconds, send_limit);
  sms_settings.timeout_seconds = std::min(sms_settings.timeout_seconds, send_limit);
  auto email = std::make_unique<notify::CurlMailer>(mail);
  auto pec = std::make_unique<notify::CurlMailer>(pec_settings);
  auto sms = std::make_unique<notify::CurlSmsGateway>(sms_settings);
  email->abortOn(p.stopping.get());
  pec->abortOn(p.stopping.get());
  sms->abortOn(p.stopping.get());
  p.email = std::move(email);
  p.pec = std::move(pec);
  p.sms = std::move(sms);
  p.scanner = std::make_unique<devices::SaneScanner>(config.scanner);
  p.usb = std::make_unique<devices::FolderUsbMedia>(config.usb_mount, *p.sniffer);
  if (config.card.module.empty()) {
    p.card = std::make_unique<devices::NoCardReader>();
  } else {
    p.card = std::make_unique<devices::Pkcs11Card>(config.card);
  }
  p.card_verifier =
      std::make_unique<devices::OpenSslCardVerifier>(config.card.ca_bundle, config.card.crl);
  p.speaker = std::make_unique<devices::EspeakSpeaker>();
  return p;
}

KioskApp::KioskApp(const config::Config& config, Ports ports, const Clock& clock)
    : config_(config),
      ports_(std::move(ports)),
      clock_(clock),
      assets_(config_.webui_dir),
      auth_(*ports_.store, clock_, config_.auth, &metrics_),
      contacts_(*ports_.store, clock_),
      communications_(*ports_.store,
                      clock_,
                      *ports_.sniffer,
                      {config_.branch_code, reserveBytes(config_), KIOSK_MIN_PLAUSIBLE_TIME,
                       std::int64_t{config_.fair_use_daily_mb} * 1024 * 1024,
                       config_.fair_use_sends_per_hour}),
      receipts_(*ports_.store,
                *ports_.signer,
                {config_.branch_code, config_.branch_name, config_.kiosk_id,
                 config_.verify_url.empty() ? "http://" + config_.listen + "/verifica"
                                            : config_.verify_url},
                &clock_),
      dispatcher_(*ports_.store,
                  clock_,
                  *ports_.email,
                  *ports_.pec,
                  *ports_.sms,
                  config_.notify,
                  &metrics_),
      monitor_(*ports_.store,
               clock_,
               *ports_.printer,
               *ports_.scanner,
               *ports_.usb,
               {config_.kiosk_id, config_.branch_code, config_.branch_name, KIOSK_VERSION,
                reserveBytes(config_), KIOSK_MIN_PLAUSIBLE_TIME},
               ports_.card.get()),
      speech_(*ports_.speaker,
              config_.speech_output == "loudspeaker" ? domain::AudioPath::kLoudspeaker
                                                     : domain::AudioPath::kHeadphones,
              config_.speech_record.empty()
                  ? std::function<void(const std::string&)>()
                  : [this](const std::string& line) {
                      std::lock_guard lock(speech_record_mutex_);
                      if (std::FILE* f = std::fopen(config_.speech_record.c_str(), "a")) {
                        std::fprintf(f, "%s\n", line.c_str());
                        std::fclose(f);
                      }
                    }),
      server_(http::ServerOptions{config_.listen, config_.threads, config_.request_timeout_ms,
                                  static_cast<std::size_t>(config_.max_json_bytes)},
              router_,
              metrics_) {
  dispatcher_.mailReceiptsWith(receipts_, *ports_.renderer);
  auth_.onProfessionalGone([this](std::int64_t id) { communications_.forget(id); });
  http::registerApi(
      router_,
      {clock_, auth_, contacts_, communications_, receipts_, receipt_desk_, outbox_, monitor_,
       sources_, card_login_, speech_, metrics_, assets_, [this] { wakeDispatcher(); },
       [this] { return dispatcher_.channelStates(); },
       [this] {
         // Each provider probed as the `selftest` command does (bounded by
         // its send timeout); one not configured is said so.
         std::vector<domain::SelftestCheck> out;
         auto probe = [&](const char* part, bool configured, auto&& check) {
           domain::SelftestCheck c{part, configured, true, configured ? "" : "non configurato"};
           if (configured) {
             const Status st = check();
             c.ok = static_cast<bool>(st);
             c.detail = st ? "il server risponde" : st.error().detail;
           }
           out.push_back(std::move(c));
         };
         probe("mail", ports_.email->configured(), [&] { return ports_.email->check(); });
         probe("pec", ports_.pec->configured(), [&] { return ports_.pec->check(); });
         probe("sms", ports_.sms->configured(), [&] { return ports_.sms->check(); });
         return out;
       }},
      {config_.cookie_secure, config_.branch_name, config_.kiosk_id, config_.idle_seconds,
       config_.countdown_seconds, config_.login_attempts_per_minute, config_.concurrent_logins,
       KIOSK_VERSION, config_.card.pin_login, config_.metrics_token,
       config_.backup_dir.empty() ? std::function<std::int64_t()>{}
                                  : [dir = config_.backup_dir] { return newestBackup(dir); }});
}

Status KioskApp::start() {
  if (auto st = server_.start(); !st) return st;
  if (!config_.screen_listen.empty()) {
    // Chromium opens 6 connections to a host: each keeps a worker.
    screen_server_ = std::make_unique<http::Server>(
        http::ServerOptions{config_.screen_listen, 8, config_.request_timeout_ms,
                            static_cast<std::size_t>(config_.max_json_bytes)},
        router_, metrics_);
    if (auto st = screen_server_->start(); !st) {
      server_.stop();
      return st;
    }
  }
  if (!config_.card.module.empty()) {
    card_thread_ = std::thread([this] {
      std::unique_lock lock(dispatch_mutex_);
      while (!dispatch_stop_) {
        lock.unlock();
        try {
          card_login_.watch();
        } catch (const std::exception& e) {
          log::error("card_watch_failed", {{"detail", std::string("exception: ") + e.what()}});
        }
        lock.lock();
        dispatch_wake_.wait_for(lock, std::chrono::milliseconds(250),
                                [this] { return dispatch_stop_; });
      }
    });
  }
  for (std::size_t slot = 0; slot < std::size(domain::kChannels); ++slot) {
    dispatch_threads_.emplace_back([this, slot] {
      const domain::Channel channel = domain::kChannels[slot];
      std::unique_lock lock(dispatch_mutex_);
      while (!dispatch_stop_) {
        lock.unlock();
        // Nothing thrown here may end the kiosk: the rows stay leased and are
        // taken again when the lease runs out.
        try {
          auto stats = dispatcher_.runOnce(ports_.stopping.get(), channel);
          if (!stats) {
            log::error("dispatch_failed", {{"channel", std::string(domain::nameOf(channel))},
                                           {"detail", stats.error().detail}});
          }
        } catch (const std::exception& e) {
          log::error("dispatch_failed", {{"detail", std::string("exception: ") + e.what()}});
        } catch (...) {
          log::error("dispatch_failed", {{"detail", "unknown exception"}});
        }
        const int rest = dispatcher_.restSeconds(channel, config_.notify_poll_seconds);
        const bool failing = rest > config_.notify_poll_seconds;
        lock.lock();
        // A working channel wakes at once for a new notification; a failing
        // one rests its whole pause (its rows back off too).
        dispatch_wake_.wait_for(lock, std::chrono::seconds(rest), [this, slot, failing] {
          return dispatch_stop_ || (!failing && dispatch_now_[slot]);
        });
        dispatch_now_[slot] = false;
      }
    });
  }
  return {};
}

void KioskApp::wakeDispatcher() {
  {
    std::lock_guard lock(dispatch_mutex_);
    for (bool& now : dispatch_now_) now = true;
  }
  dispatch_wake_.notify_all();
}

void KioskApp::stop() {
  *ports_.stopping = true;   // a silent SMTP server must not hold the shutdown
  ports_.scanner->cancel();  // nor a scan waiting minutes for the next sheet
  server_.stop();
  if (screen_server_) screen_server_->stop();
  {
    std::lock_guard lock(dispatch_mutex_);
    dispatch_stop_ = true;
  }
  dispatch_wake_.notify_all();
  for (auto& t : dispatch_threads_) {
    if (t.joinable()) t.join();
  }
  if (card_thread_.joinable()) card_thread_.join();
  dispatch_threads_.clear();
  flushSessionTouches();
}

void KioskApp::anchorAudit() {
  // Logged (audit_anchor_failed) and counted in /metrics when it fails.
  (void)domain::anchorAuditNow(*ports_.store, *ports_.signer, config_.kiosk_id, clock_.nowSeconds(),
                               "periodic");
}

void KioskApp::heartbeat() {
  if (auto st = monitor_.heartbeat(started_at_); !st) {
    log::warn("heartbeat_failed", {{"detail", st.error().detail}});
  }
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
  const auto failed = [](const Error& e) {
    log::warn("session_sweep_failed", {{"reason", e.reason}, {"detail", e.detail}});
  };
  auto tx = ports_.store->begin(domain::TxMode::kWrite);
  if (!tx) return failed(tx.error());
  auto n = (*tx)->deleteExpiredSessions(now - config_.auth.idle_timeout_seconds - step,
                                        now - config_.auth.absolute_lifetime_seconds - step);
  if (!n) return failed(n.error());
  if (auto st = (*tx)->commit(); !st) return failed(st.error());
  if (*n > 0) log::info("sessions_expired", {{"count", std::to_string(*n)}});
}

std::string receiptKeyPath(const config::Config& config) {
  if (!config.receipt_key_file.empty()) return config.receipt_key_file;
  if (storage::isPostgresUrl(config.db)) {
    // A shared database is no file: the key lives in the kiosk's own state
    // folder, wherever the command is started from.
    std::error_code ec;
    if (std::filesystem::is_directory(kInstalledStateDir, ec)) {
      return std::string(kInstalledStateDir) + "/receipt-key";
    }
    if (!config.config_file.empty()) {
      return (std::filesystem::absolute(config.config_file, ec).parent_path() / "receipt-key")
          .string();
    }
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    const std::string base = state && *state ? std::string(state)
                             : home && *home ? std::string(home) + "/.local/state"
                                             : std::string(".");
    return base + "/cassetto-kiosk/receipt-key";
  }
  return storage::sqliteFile(config.db) + ".receipt-key";
}

std::vector<domain::PublishedKey> publicKeysOf(const receipts::Ed25519Signer& signer,
                                               const std::string& kiosk_id,
                                               std::int64_t now) {
  std::vector<domain::PublishedKey> keys;
  for (const auto& line : signer.retired()) {  // "KEYID PUBLICHEX"
    const auto space = line.find(' ');
    if (space != std::string::npos) {
      keys.push_back({line.substr(0, space), kiosk_id, line.substr(space + 1), now});
    }
  }
  keys.push_back({signer.keyId(), kiosk_id, signer.publicKeyHex(), now});
  return keys;
}

Status publishReceiptKeys(domain::Store& store,
                          const receipts::Ed25519Signer& signer,
                          const std::string& kiosk_id) {
  auto tx = store.begin(domain::TxMode::kWrite);
  if (!tx) return fail(tx.error());
  for (const auto& k : publicKeysOf(signer, kiosk_id, std::time(nullptr))) {
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
