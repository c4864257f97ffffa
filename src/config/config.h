// Config: every setting of the kiosk, with its default, and the one place
// that reads Boost.Program_options. Precedence: defaults < the INI file named
// by --config < the command line. Thread safety: a plain value once loaded.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "core/error.h"
#include "devices/device_settings.h"
#include "domain/auth.h"
#include "domain/notifications.h"
#include "notify/notify_settings.h"

namespace kiosk::config {

struct Config {
  // [server]
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; keep loopback, LAN goes through a TLS proxy
  std::string screen_listen;       // the screen's own lane, with its own workers; empty: none
  std::string metrics_token;       // read from [server] metrics_token_file; empty: no scrape token
  std::string backup_dir;          // [backup] dir: where the nightly backups go (for /metrics)
  int threads = 16;                // CivetWeb worker threads
  int request_timeout_ms = 10000;  // the longest a request body may take to arrive
  int max_json_bytes = 64 * 1024;  // cap for JSON bodies
  bool cookie_secure = false;      // "Secure" session cookie (only behind HTTPS)
  std::string webui_dir;           // serve the UI from this folder (development)
  // [database]
  std::string db = "var/kiosk.db";   // SQLite file path, or postgresql:// URL (not yet)
  int busy_timeout_ms = 5000;        // how long a writer waits for the SQLite lock
  int statement_timeout_ms = 15000;  // PostgreSQL: a statement's bound (server and kiosk)
  int min_free_mb = 64;              // below this much free disk, new sends get 507 storage_full
  // [fair_use], per professional (0: no limit): attachment MB a day, messages an hour
  int fair_use_daily_mb = 50;
  int fair_use_sends_per_hour = 20;
  // [session] and [auth]
  domain::AuthPolicy auth;
  int login_attempts_per_minute = 20;  // login tries one client may make in any 60 s
  int concurrent_logins = 2;           // argon2id checks at once (64 MiB each)
  // [kiosk]
  std::string branch_code = "0000";       // INPS branch (sede) code, used in protocol numbers
  std::string branch_name = "Sede INPS";  // printed on receipts
  std::string kiosk_id = "K01";           // this kiosk within the branch
  // [printer] and [receipts]
  std::string printer_queue;     // CUPS queue for receipts; empty: no printer
  int printer_max_pages = 20;    // the most pages of one print job
  std::string receipt_key_file;  // Ed25519 key; empty: see app::receiptKeyPath
  std::string config_file;  // the file given with --config (empty: none), for defaults beside it
  std::string verify_url;   // the QR code's page; empty: http://<listen>/verifica
  // [scanner] and [usb]
  devices::ScannerSettings scanner;
  std::string usb_mount;  // where sticks are mounted read-only; empty: no USB
  // [card]: the identity card reader (CIE, TS-CNS); no module: no reader
  devices::CardSettings card;
  // [speech]: the audio mode's voice (libespeak-ng)
  std::string speech_output = "headphones";  // "headphones" (a jack) or "loudspeaker"
  std::string speech_record;                 // append each utterance here as JSON (tests)
  // [mail], [pec], [sms], [notify]
  notify::MailSettings mail;  // ordinary e-mail
  notify::MailSettings pec;   // the PEC provider's SMTP server
  notify::SmsSettings sms;
  domain::NotifyPolicy notify;
  int notify_poll_seconds = 2;  // how often the dispatcher looks for due notifications
  // [ui]
  int idle_seconds = 120;      // untouched this long, the screen asks "Sei ancora lì?"
  int countdown_seconds = 30;  // and logs out when the countdown ends
};

namespace po = boost::program_options;

// Options every command takes: --config, --db, --help.
po::options_description commonOptions();
// Options of `serve`: --listen, --threads, --demo.
po::options_description serveOptions();

// Applies the file named by vm["config"] (if any) and then the command-line
// values in `vm`. kInvalid with a one-line English reason on a bad file, an
// unknown key or a bad value.
Result<Config> resolve(const po::variables_map& vm);

// The same, from INI text (for tests): file values over defaults, then `vm`.
Result<Config> resolveWithText(const std::string& ini_text, const po::variables_map& vm);

}  // namespace kiosk::config
