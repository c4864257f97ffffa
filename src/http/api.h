// Api: the JSON routes of CONTRACT.md, plus /healthz, /metrics and the page
// at "/". Each handler checks the session, the role and (for changes) the
// CSRF token before it touches the domain. Thread-safe: handlers share only
// thread-safe services.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "domain/auth.h"
#include "domain/card_login.h"
#include "domain/communications.h"
#include "domain/contacts.h"
#include "domain/document_sources.h"
#include "domain/kiosk_monitor.h"
#include "domain/notifications.h"
#include "domain/receipt_desk.h"
#include "domain/receipts.h"
#include "domain/speech.h"
#include "http/assets.h"
#include "http/metrics.h"
#include "http/router.h"

namespace kiosk::http {

struct ApiOptions {
  bool cookie_secure = false;  // add "Secure" to the session cookie (behind the TLS proxy)
  std::string branch_name = "Sede INPS";  // shown by the UI
  std::string kiosk_id = "K01";           // shown by the UI
  int idle_seconds = 120;                 // the UI asks "Sei ancora lì?" after this long
  int countdown_seconds = 30;             // … and logs out when its countdown ends
  int login_attempts_per_minute = 20;     // per client (LoginGate)
  int concurrent_logins = 2;              // argon2id hashes at once (64 MiB each)
  std::string version = "0";              // kiosk_build_info in /metrics
  bool pin_login = true;  // professionals may log in with codice fiscale and kiosk PIN
  // Prometheus may scrape /metrics through the proxy with "Authorization:
  // Bearer TOKEN" ([server] metrics_token_file); empty: a technician's session only.
  std::string metrics_token;
  // When the newest backup in the backup folder was taken (0: none); unset:
  // no backup folder configured, no metric.
  std::function<std::int64_t()> last_backup = {};
};

// What each group of routes uses: domain services only (no Store, no
// adapter), so a handler does nothing the domain has not decided.
struct CommDeps {
  domain::AuthService& auth;
  domain::CommunicationService& communications;
  domain::ReceiptDesk& receipt_desk;  // printing an attachment
};

struct ReceiptDeps {
  domain::AuthService& auth;
  const Clock& clock;
  domain::ReceiptService& receipts;
  domain::ReceiptDesk& receipt_desk;
  std::function<void()> wake_dispatcher = {};  // sends due notifications now
};

struct DeviceDeps {
  domain::AuthService& auth;
  domain::DocumentSources& sources;
  domain::KioskMonitor& monitor;
};

struct ApiDeps {
  const Clock& clock;
  domain::AuthService& auth;
  domain::ContactsService& contacts;
  domain::CommunicationService& communications;
  domain::ReceiptService& receipts;
  domain::ReceiptDesk& receipt_desk;
  domain::OutboxDesk& outbox;
  domain::KioskMonitor& monitor;
  domain::DocumentSources& sources;
  domain::CardLogin& card_login;
  domain::SpeechDesk& speech;
  Metrics& metrics;
  const Assets& assets;
  std::function<void()> wake_dispatcher = {};  // sends due notifications now
  // Each notification channel's provider as its worker last found it.
  std::function<std::vector<domain::ChannelState>()> channel_states = {};
  // The notification providers probed for the self-test (mail, PEC, SMS).
  std::function<std::vector<domain::SelftestCheck>()> provider_checks = {};
};

// Adds every route to `router`. `deps` must outlive the router's use.
void registerApi(Router& router, ApiDeps deps, ApiOptions options);

// The communications routes (communications_api.cpp); registerApi calls it.
void registerCommunicationRoutes(Router& router, CommDeps deps);
// Receipts, printing and /verifica (receipts_api.cpp).
void registerReceiptRoutes(Router& router, ReceiptDeps deps);
// Scanner, USB stick and /api/devices (devices_api.cpp).
void registerDeviceRoutes(Router& router, DeviceDeps deps);
// /healthz, /metrics and the technician's routes (monitoring_api.cpp).
void registerMonitoringRoutes(Router& router, ApiDeps deps, ApiOptions options);

}  // namespace kiosk::http
