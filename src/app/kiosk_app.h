// KioskApp: the running kiosk wired together: store → services → router →
// server. `serve` and the HTTP tests build it the same way. Members are
// declared in dependency order so the server stops before what it uses is
// destroyed. Thread safety: start()/stop() from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "core/clock.h"
#include "devices/sane_scanner.h"
#include "devices/usb_media.h"
#include "domain/auth.h"
#include "domain/communications.h"
#include "domain/contacts.h"
#include "domain/notifications.h"
#include "domain/ports/printer.h"
#include "domain/ports/receipt_signer.h"
#include "domain/ports/store.h"
#include "domain/receipt_desk.h"
#include "domain/receipts.h"
#include "filetypes/magic_sniffer.h"
#include "http/assets.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "notify/curl_notifiers.h"
#include "receipts/ed25519_signer.h"
#include "receipts/pdf_receipt.h"

namespace kiosk::app {

class KioskApp {
 public:
  KioskApp(const config::Config& config,
           std::unique_ptr<domain::Store> store,
           std::unique_ptr<domain::ReceiptSigner> signer,
           const Clock& clock);

  // Starts the HTTP server and the notification dispatcher.
  Status start();
  void stop();
  ~KioskApp() { stop(); }
  int port() const { return server_.port(); }

  domain::Store& store() { return *store_; }
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
  std::unique_ptr<domain::Store> store_;
  const Clock& clock_;
  http::Metrics metrics_;
  http::Assets assets_;
  domain::AuthService auth_;
  domain::ContactsService contacts_;
  filetypes::MagicSniffer sniffer_;
  domain::CommunicationService communications_;
  std::unique_ptr<domain::ReceiptSigner> signer_;
  domain::ReceiptService receipts_;
  receipts::PdfReceiptRenderer renderer_;
  std::unique_ptr<domain::Printer> printer_;
  notify::CurlMailer email_;
  notify::CurlMailer pec_;
  notify::CurlSmsGateway sms_;
  domain::Dispatcher dispatcher_;
  domain::OutboxDesk outbox_{*store_, clock_};
  domain::ReceiptDesk receipt_desk_{receipts_, renderer_, *printer_, config_.kiosk_id};
  devices::SaneScanner scanner_;
  devices::FolderUsbMedia usb_;
  std::thread dispatch_thread_;
  std::mutex dispatch_mutex_;
  std::condition_variable dispatch_wake_;
  bool dispatch_stop_ = false;
  bool dispatch_now_ = false;           // guarded by dispatch_mutex_
  std::atomic<bool> stopping_ = false;  // aborts a notification in flight on stop()
  // Wall minus monotonic seconds at start: a change tells a wall-clock step.
  std::int64_t wall_minus_mono_ = clock_.nowSeconds() - clock_.monotonicSeconds();
  std::int64_t started_at_ = clock_.nowSeconds();
  http::Router router_;
  http::Server server_;
};

// The receipt key's path: the configured one, or "<database>.receipt-key".
std::string receiptKeyPath(const config::Config& config);

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
