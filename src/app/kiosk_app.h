// KioskApp: the composition root. Handed its ports (Ports), it wires the
// domain's services, the router and the server. `serve` and the HTTP tests
// build it the same way. Members are declared in dependency order so the
// server stops before what it uses is destroyed. Thread safety:
// start()/stop() from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "core/clock.h"
#include "domain/auth.h"
#include "domain/card_login.h"
#include "domain/communications.h"
#include "domain/contacts.h"
#include "domain/document_sources.h"
#include "domain/kiosk_monitor.h"
#include "domain/notifications.h"
#include "domain/ports/devices.h"
#include "domain/ports/file_sniffer.h"
#include "domain/ports/notifier.h"
#include "domain/ports/printer.h"
#include "domain/ports/receipt_renderer.h"
#include "domain/ports/receipt_signer.h"
#include "domain/ports/store.h"
#include "domain/receipt_desk.h"
#include "domain/receipts.h"
#include "domain/speech.h"
#include "http/assets.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "receipts/ed25519_signer.h"

namespace kiosk::app {

// Everything outside the process the kiosk talks to, one adapter per port.
// `serve` and the HTTP tests hand KioskApp the real ones (realPorts); a
// test may swap any of them for a fake of tests/support/fakes.h.
struct Ports {
  std::unique_ptr<domain::Store> store;
  std::unique_ptr<domain::ReceiptSigner> signer;
  std::unique_ptr<domain::FileSniffer> sniffer;
  std::unique_ptr<domain::ReceiptRenderer> renderer;
  std::unique_ptr<domain::Printer> printer;
  std::unique_ptr<domain::Mailer> email;
  std::unique_ptr<domain::Mailer> pec;
  std::unique_ptr<domain::SmsGateway> sms;
  std::unique_ptr<domain::Scanner> scanner;
  std::unique_ptr<domain::UsbMedia> usb;     // reads through `sniffer`: declared after it
  std::unique_ptr<domain::CardReader> card;  // the identity card reader (or none)
  std::unique_ptr<domain::CardVerifier> card_verifier;
  std::unique_ptr<domain::Speaker> speaker;  // the audio mode's voice
  // Set on stop: the real mailers abandon a transfer in flight.
  std::unique_ptr<std::atomic<bool>> stopping = std::make_unique<std::atomic<bool>>(false);
};

// The real adapters for `config`, around an opened store and signer: CUPS
// (or none), SANE, the USB mount, libmagic, libharu, libcurl.
Ports realPorts(const config::Config& config,
                std::unique_ptr<domain::Store> store,
                std::unique_ptr<domain::ReceiptSigner> signer);

class KioskApp {
 public:
  KioskApp(const config::Config& config, Ports ports, const Clock& clock);

  // Starts the HTTP server and the notification dispatcher.
  Status start();
  void stop();
  ~KioskApp() { stop(); }
  int port() const { return server_.port(); }
  // The screen's own lane (`[server] screen_listen`); 0 without one.
  int screenPort() const { return screen_server_ ? screen_server_->port() : 0; }
  // The routes as the server dispatches them (tests call them without a socket).
  const http::Router& router() const { return router_; }

  domain::Store& store() { return *ports_.store; }
  domain::AuthService& auth() { return auth_; }
  domain::CommunicationService& communications() { return communications_; }

  // Writes the sessions' refreshed idle timers (serve: every few seconds,
  // and on stop).
  void flushSessionTouches();
  // Deletes expired sessions (after flushing the idle timers); serve calls
  // it once a minute.
  void sweepSessions();
  // Signs the audit chain's head when it moved since the last anchor (serve
  // calls it every minute and on stop).
  void anchorAudit();
  // Records this kiosk's heartbeat in the database (serve: at start and
  // every minute): version, devices, the audit head, the outbox backlog.
  void heartbeat();
  // Sends what is due now rather than at the next poll (a receipt asked for).
  void wakeDispatcher();

 private:
  config::Config config_;
  Ports ports_;
  const Clock& clock_;
  http::Metrics metrics_;
  http::Assets assets_;
  domain::AuthService auth_;
  domain::ContactsService contacts_;
  domain::CommunicationService communications_;
  domain::ReceiptService receipts_;
  domain::Dispatcher dispatcher_;
  domain::OutboxDesk outbox_{*ports_.store, clock_};
  domain::ReceiptDesk receipt_desk_{receipts_, *ports_.renderer, *ports_.printer, config_.kiosk_id,
                                    config_.printer_max_pages};
  domain::DocumentSources sources_{*ports_.scanner, *ports_.usb};
  domain::KioskMonitor monitor_;
  domain::CardLogin card_login_{*ports_.card, *ports_.card_verifier, auth_,
                                sources_,     *ports_.store,         clock_};
  std::mutex speech_record_mutex_;
  domain::SpeechDesk speech_;
  // Looks at the card reader a few times a second: a card taken out ends
  // its session at once.
  std::thread card_thread_;
  // One notification worker per channel (e-mail, PEC, SMS): a silent or
  // failing provider holds back only its own channel.
  std::vector<std::thread> dispatch_threads_;
  std::mutex dispatch_mutex_;
  std::condition_variable dispatch_wake_;
  bool dispatch_stop_ = false;
  bool dispatch_now_[3] = {};  // per channel, in kChannels order; guarded by dispatch_mutex_
  // Wall minus monotonic seconds at start: a change tells a wall-clock step.
  std::int64_t wall_minus_mono_ = clock_.nowSeconds() - clock_.monotonicSeconds();
  std::int64_t started_at_ = clock_.nowSeconds();
  http::Router router_;
  http::Server server_;
  // The same API on a port of its own with workers of its own, for the box's
  // own screen: clients holding every worker of the main port (a slowloris
  // on loopback) never reach these. The firewall lets only the screen's user
  // connect to it.
  std::unique_ptr<http::Server> screen_server_;
};

// Where an installed kiosk keeps its state (the package makes it).
inline constexpr const char* kInstalledStateDir = "/var/lib/cassetto-kiosk";

// The receipt key's path: [receipts] key_file; else on SQLite
// "<database>.receipt-key"; else (PostgreSQL) "receipt-key" in the kiosk's
// state folder: /var/lib/cassetto-kiosk when installed, else beside the
// --config file, else $XDG_STATE_HOME (~/.local/state)/cassetto-kiosk.
std::string receiptKeyPath(const config::Config& config);

// The public halves of the keyring's keys, retired ones first, as `kiosk_id`'s.
std::vector<domain::PublishedKey> publicKeysOf(const receipts::Ed25519Signer& signer,
                                               const std::string& kiosk_id,
                                               std::int64_t now);

// Publishes the public halves of the kiosk's receipt key and of its retired
// keys in the database, so that every desk on a shared database verifies
// what this kiosk signed. The private key stays in its file.
Status publishReceiptKeys(domain::Store& store,
                          const receipts::Ed25519Signer& signer,
                          const std::string& kiosk_id);

// Adds the demo accounts of CONTRACT.md where missing: professional
// RSSMRA80A01H501U (PIN 12345678), staff "sportello", technician "tecnico".
Status seedDemo(domain::Store& store, domain::AuthService& auth, const Clock& clock);

}  // namespace kiosk::app
