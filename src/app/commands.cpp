#include "app/commands.h"

#include <malloc.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "app/kiosk_app.h"
#include "config/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/rome_time.h"
#include "core/validators.h"
#include "devices/cups_printer.h"
#include "devices/usb_media.h"
#include "domain/archive_import.h"
#include "domain/audit.h"
#include "filetypes/magic_sniffer.h"
#include "notify/curl_notifiers.h"
#include "receipts/ed25519_signer.h"
#include "receipts/pdf_receipt.h"
#include "storage/backup.h"
#include "storage/open_store.h"

namespace kiosk::app {
namespace {

namespace po = boost::program_options;

struct Parsed {
  po::variables_map vm;
  config::Config config;
};

// Parses `args` for `command`; on --help or an error returns the exit status.
std::expected<Parsed, int> parse(const std::vector<std::string>& args,
                                 const std::string& command,
                                 const std::string& synopsis,
                                 po::options_description own,
                                 const po::positional_options_description& positional = {}) {
  po::options_description all;
  all.add(config::commonOptions()).add(own);
  Parsed p;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), p.vm);
    po::notify(p.vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "cassetto-kiosk %s: %s\n", command.c_str(), e.what());
    return std::unexpected(kExitUsage);
  }
  if (p.vm.count("help")) {
    std::cout << "usage: cassetto-kiosk " << command << " " << synopsis << "\n\n" << all << "\n";
    return std::unexpected(kExitOk);
  }
  auto cfg = config::resolve(p.vm);
  if (!cfg) {
    std::fprintf(stderr, "cassetto-kiosk %s: %s\n", command.c_str(), cfg.error().message.c_str());
    return std::unexpected(kExitUsage);
  }
  p.config = std::move(*cfg);
  return p;
}

std::expected<std::unique_ptr<domain::Store>, int> open(const config::Config& c,
                                                        const std::string& command) {
  auto store = storage::openStore(c.db, {c.threads + 2, c.busy_timeout_ms});
  if (!store) {
    const Error& e = store.error();
    std::fprintf(stderr, "cassetto-kiosk %s: database %s: %s\n", command.c_str(), c.db.c_str(),
                 e.detail.empty() ? e.message.c_str() : e.detail.c_str());
    return std::unexpected(e.code == ErrorCode::kInvalid ? kExitUsage : kExitFailure);
  }
  return std::move(*store);
}

int report(const std::string& command, const Error& e) {
  std::fprintf(stderr, "cassetto-kiosk %s: %s%s%s\n", command.c_str(), e.message.c_str(),
               e.detail.empty() ? "" : " — ", e.detail.c_str());
  return e.code == ErrorCode::kInvalid || e.code == ErrorCode::kNotFound ? kExitUsage
                                                                         : kExitFailure;
}

std::string sqlitePath(std::string db) {
  if (db.starts_with("sqlite:")) db.erase(0, 7);
  return db;
}

// One line from standard input without its line ending.
std::string readSecretLine() {
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

int runServe(const std::vector<std::string>& args) {
  auto p = parse(args, "serve", "[--listen HOST:PORT] [--demo]", config::serveOptions());
  if (!p) return p.error();
  if (!crypto::init()) {
    std::fputs("cassetto-kiosk serve: libsodium cannot start\n", stderr);
    return kExitFailure;
  }
  // Block the stop signals in every thread (CivetWeb's inherit the mask);
  // this thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // SIGHUP (a terminal closing, a careless `kill -HUP`) never ends the kiosk:
  // it is taken here and logged; a changed kiosk.conf needs a restart.
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Few malloc arenas: with one per worker thread, freed upload buffers stay
  // mapped and the resident size grows with the thread count.
  mallopt(M_ARENA_MAX, 2);
  auto store = open(p->config, "serve");
  if (!store) return store.error();
  // A database whose heads were signed had a receipt key: a missing key is
  // an error (restore it), never silently replaced by a new one, which would
  // make every earlier receipt NOT valid.
  const std::string key = receiptKeyPath(p->config);
  if (!std::filesystem::exists(key)) {
    auto tx = (*store)->begin(domain::TxMode::kRead);
    if (!tx) return report("serve", tx.error());
    auto signed_before = (*tx)->hasAuditAnchors();
    if (!signed_before) return report("serve", signed_before.error());
    if (*signed_before) {
      std::fprintf(stderr,
                   "cassetto-kiosk serve: the receipt key %s is missing, but this database holds "
                   "receipts signed with it: restore the key (cassetto-kiosk restore); a new key "
                   "would make every earlier receipt NOT valid\n",
                   key.c_str());
      return kExitUsage;
    }
  }
  auto signer = receipts::Ed25519Signer::open(key);
  if (!signer) return report("serve", signer.error());
  // A kiosk that cannot write would take logins and lose sends: refuse to start.
  if (auto st = (*store)->checkWritable(); !st) {
    std::fprintf(stderr, "cassetto-kiosk serve: cannot write the database %s: %s (%s)\n",
                 (*store)->describe().c_str(), st.error().reason.c_str(),
                 st.error().detail.c_str());
    return kExitFailure;
  }
  SystemClock clock;
  KioskApp app(p->config, std::move(*store), std::move(*signer), clock);
  if (p->vm["demo"].as<bool>()) {
    if (auto st = seedDemo(app.store(), app.auth(), clock); !st) return report("serve", st.error());
  }
  if (auto st = app.start(); !st) {
    std::fprintf(stderr, "cassetto-kiosk serve: %s\n", st.error().message.c_str());
    return kExitFailure;
  }
  const std::string host = p->config.listen.substr(0, p->config.listen.rfind(':'));
  std::printf("listening on http://%s:%d\n", host.c_str(), app.port());
  std::fflush(stdout);
  log::info("serve_started", {{"listen", p->config.listen}, {"db", app.store().describe()}});

  while (true) {
    timespec minute{60, 0};
    const int sig = sigtimedwait(&stop_signals, nullptr, &minute);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      log::info("sighup_ignored", {{"hint", "restart the service to apply a changed kiosk.conf"}});
      continue;
    }
    app.sweepSessions();
    app.anchorAudit();
  }
  log::info("serve_stopping", {});
  app.stop();  // finishes the requests in flight
  app.anchorAudit();
  log::info("serve_stopped", {});
  return kExitOk;
}

int runImportArchive(const std::vector<std::string>& args) {
  po::options_description own("import-archive options");
  own.add_options()("file", po::value<std::string>(), "CSV extract to import");
  po::positional_options_description pos;
  pos.add("file", 1);
  auto p = parse(args, "import-archive", "FILE.csv", own, pos);
  if (!p) return p.error();
  if (!p->vm.count("file")) {
    std::fputs("cassetto-kiosk import-archive: missing FILE.csv\n", stderr);
    return kExitUsage;
  }
  const std::string path = p->vm["file"].as<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cassetto-kiosk import-archive: cannot read %s\n", path.c_str());
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto store = open(p->config, "import-archive");
  if (!store) return store.error();
  SystemClock clock;
  auto result = domain::importArchive(**store, clock, text.str());
  if (!result) return report("import-archive", result.error());
  std::printf("added %d, updated %d, rejected %zu, warnings %zu\n", result->added, result->updated,
              result->rejected.size(), result->warnings.size());
  for (const auto& r : result->rejected) {
    std::printf("rejected line %d: %s\n", r.line, r.reason.c_str());
  }
  for (const auto& w : result->warnings) {
    std::printf("warning line %d: %s\n", w.line, w.reason.c_str());
  }
  return kExitOk;
}

int runSetPin(const std::vector<std::string>& args) {
  po::options_description own("set-pin options");
  own.add_options()("codice-fiscale", po::value<std::string>(), "the professional");
  po::positional_options_description pos;
  pos.add("codice-fiscale", 1);
  auto p = parse(args, "set-pin", "CODICE_FISCALE < pin", own, pos);
  if (!p) return p.error();
  if (!p->vm.count("codice-fiscale")) {
    std::fputs("cassetto-kiosk set-pin: missing CODICE_FISCALE\n", stderr);
    return kExitUsage;
  }
  const std::string pin = readSecretLine();
  auto store = open(p->config, "set-pin");
  if (!store) return store.error();
  SystemClock clock;
  domain::AuthService auth(**store, clock, p->config.auth);
  if (auto st = auth.setPin(p->vm["codice-fiscale"].as<std::string>(), pin); !st) {
    return report("set-pin", st.error());
  }
  std::puts("PIN impostato.");
  return kExitOk;
}

int runAddStaff(const std::vector<std::string>& args) {
  po::options_description own("add-staff options");
  own.add_options()("username", po::value<std::string>(), "account name")(
      "role", po::value<std::string>()->default_value("staff"), "staff or technician")(
      "display-name", po::value<std::string>()->default_value(""), "name shown on screen")(
      "password-hash", po::bool_switch(),
      "standard input holds an argon2id hash (cassetto-kiosk hash-password), not a password");
  po::positional_options_description pos;
  pos.add("username", 1);
  auto p =
      parse(args, "add-staff",
            "USERNAME [--role staff|technician] [--password-hash] < password or hash", own, pos);
  if (!p) return p.error();
  if (!p->vm.count("username")) {
    std::fputs("cassetto-kiosk add-staff: missing USERNAME\n", stderr);
    return kExitUsage;
  }
  const std::string role_name = p->vm["role"].as<std::string>();
  if (role_name != "staff" && role_name != "technician") {
    std::fputs("cassetto-kiosk add-staff: --role must be staff or technician\n", stderr);
    return kExitUsage;
  }
  const std::string secret = readSecretLine();
  auto store = open(p->config, "add-staff");
  if (!store) return store.error();
  SystemClock clock;
  domain::AuthService auth(**store, clock, p->config.auth);
  const auto role = role_name == "staff" ? domain::Role::kStaff : domain::Role::kTechnician;
  const auto& username = p->vm["username"].as<std::string>();
  const auto& display_name = p->vm["display-name"].as<std::string>();
  if (p->vm["password-hash"].as<bool>()) {
    auto saved = auth.addStaffWithHash(username, role, secret, display_name);
    if (!saved) return report("add-staff", saved.error());
    std::puts(*saved ? "Utente salvato." : "Utente invariato.");
    return kExitOk;
  }
  if (auto st = auth.addStaff(username, role, secret, display_name); !st) {
    return report("add-staff", st.error());
  }
  std::puts("Utente salvato.");
  return kExitOk;
}

// hash-password: an argon2id hash of the password on standard input, for the
// staff file of scripts/provision (no password in clear on the kiosk).
int runHashPassword(const std::vector<std::string>& args) {
  auto p = parse(args, "hash-password", "< password", po::options_description("hash-password"));
  if (!p) return p.error();
  if (!crypto::init()) {
    std::fputs("cassetto-kiosk hash-password: libsodium cannot start\n", stderr);
    return kExitFailure;
  }
  const std::string password = readSecretLine();
  if (!validate::staffPassword(password)) {
    std::fputs("cassetto-kiosk hash-password: la password deve avere almeno 12 caratteri\n",
               stderr);
    return kExitUsage;
  }
  const std::string hash = crypto::hashSecret(password);
  if (hash.empty()) return kExitFailure;
  std::puts(hash.c_str());
  return kExitOk;
}

int runSelftest(const std::vector<std::string>& args) {
  auto p = parse(args, "selftest", "", po::options_description("selftest options"));
  if (!p) return p.error();
  bool ok = true;
  auto store = storage::openStore(p->config.db, {2, p->config.busy_timeout_ms});
  if (!store) {
    std::printf("database: FAIL %s (%s)\n", p->config.db.c_str(),
                store.error().detail.empty() ? store.error().message.c_str()
                                             : store.error().detail.c_str());
    ok = false;
  } else if (auto st = (*store)->ping(); !st) {
    std::printf("database: FAIL %s (%s)\n", (*store)->describe().c_str(),
                st.error().detail.c_str());
    ok = false;
  } else {
    std::printf("database: ok %s\n", (*store)->describe().c_str());
  }
  if (p->config.printer_queue.empty()) {
    std::puts("printer: not configured");
  } else {
    const auto st = devices::CupsPrinter(p->config.printer_queue).state();
    std::printf("printer: %s %s\n", st.status == "ready" ? "ok" : "FAIL", st.detail.c_str());
    ok = ok && st.status == "ready";
  }
  auto line = [&](const char* part, bool configured, const std::function<Status()>& probe) {
    if (!configured) {
      std::printf("%s: not configured\n", part);
      return;
    }
    const Status st = probe();
    std::printf("%s: %s\n", part, st ? "ok" : ("FAIL " + st.error().detail).c_str());
    ok = ok && st;
  };
  notify::CurlMailer mail(p->config.mail);
  notify::CurlMailer pec(p->config.pec);
  notify::CurlSmsGateway sms(p->config.sms);
  line("mail", mail.configured(), [&] { return mail.check(); });
  line("pec", pec.configured(), [&] { return pec.check(); });
  line("sms", sms.configured(), [&] { return sms.check(); });
  filetypes::MagicSniffer sniffer;
  devices::SaneScanner scanner(p->config.scanner);
  devices::FolderUsbMedia usb(p->config.usb_mount, sniffer);
  for (auto [part, st] : {std::pair{"scanner", scanner.state()}, std::pair{"usb", usb.state()}}) {
    if (st.status == "not_configured") {
      std::printf("%s: not configured\n", part);
    } else {
      std::printf("%s: %s %s\n", part, st.status == "ready" ? "ok" : "FAIL", st.detail.c_str());
      ok = ok && st.status == "ready";
    }
  }
  // The disk under the database, against the send reserve.
  if (store) {
    if (auto free = (*store)->freeBytes()) {
      const std::uint64_t reserve = static_cast<std::uint64_t>(p->config.min_free_mb) << 20;
      const bool enough = *free >= reserve;
      std::printf("disk: %s %llu MB free (reserve %d MB)\n", enough ? "ok" : "FAIL",
                  static_cast<unsigned long long>(*free >> 20), p->config.min_free_mb);
      ok = ok && enough;
    }
  }
  // Files only the kiosk (and its group, for the configuration) may read.
  std::string loose;
  auto mode = [&](const std::string& path, mode_t forbidden, const char* what) {
    struct stat st {};
    if (!path.empty() && ::stat(path.c_str(), &st) == 0 && (st.st_mode & forbidden)) {
      char octal[8];
      std::snprintf(octal, sizeof octal, "%o", st.st_mode & 0777);
      loose += std::string(loose.empty() ? "" : "; ") + what + " " + path + " is " + octal;
    }
  };
  // The configuration may be world-readable when it holds no secret (resolve()
  // refuses it otherwise), never writable by others than root.
  mode(p->vm.count("config") ? p->vm["config"].as<std::string>() : "", S_IWGRP | S_IWOTH,
       "configuration");
  mode(receiptKeyPath(p->config), S_IRWXG | S_IRWXO, "receipt key");
  mode(sqlitePath(p->config.db), S_IRWXG | S_IRWXO, "database");
  std::printf("files: %s\n", loose.empty() ? "ok" : ("FAIL " + loose).c_str());
  ok = ok && loose.empty();
  // The clock: plausible (after the build), and whether NTP keeps it right.
  {
    const std::time_t now = std::time(nullptr);
    timex tx{};
    const int state = ::ntp_adjtime(&tx);
    const bool synced = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
    const bool plausible = now >= KIOSK_MIN_PLAUSIBLE_TIME;
    std::printf("clock: %s %s UTC, NTP %s\n", plausible ? "ok" : "FAIL implausible,",
                isoUtc(now).c_str(), synced ? "synchronised" : "not synchronised");
    ok = ok && plausible;
  }
  return ok ? kExitOk : kExitFailure;
}

int runAuditVerify(const std::vector<std::string>& args) {
  auto p = parse(args, "audit-verify", "", po::options_description("audit-verify options"));
  if (!p) return p.error();
  auto store = open(p->config, "audit-verify");
  if (!store) return store.error();
  // With the kiosk's key, the signed heads are checked too.
  std::unique_ptr<domain::ReceiptSigner> signer;
  const std::string key = receiptKeyPath(p->config);
  if (std::filesystem::exists(key)) {
    auto opened = receipts::Ed25519Signer::open(key);
    if (!opened) return report("audit-verify", opened.error());
    signer = std::move(*opened);
  }
  auto check = domain::verifyAudit(**store, signer.get());
  if (!check) return report("audit-verify", check.error());
  if (check->first_broken) {
    std::printf("audit log: BROKEN at entry %lld: %s\n",
                static_cast<long long>(*check->first_broken), check->why.c_str());
    return kExitFailure;
  }
  std::printf("audit log: %lld entries, chain intact\n", static_cast<long long>(check->entries));
  if (signer) {
    std::printf("signed heads: %lld match\n", static_cast<long long>(check->anchors));
  } else {
    std::puts("signed heads: not checked (no receipt key beside the database)");
  }
  return kExitOk;
}

int runVerifyReceipt(const std::vector<std::string>& args) {
  po::options_description own("verify-receipt options");
  own.add_options()("receipt", po::value<std::string>(),
                    "a receipt PDF, or the text of its QR code");
  po::positional_options_description pos;
  pos.add("receipt", 1);
  auto p = parse(args, "verify-receipt", "FILE.pdf|QR-TEXT", own, pos);
  if (!p) return p.error();
  if (!p->vm.count("receipt")) {
    std::fputs("cassetto-kiosk verify-receipt: missing FILE.pdf or QR text\n", stderr);
    return kExitUsage;
  }
  // A scanned QR code is the verification page's URL: its r parameter is the record.
  std::string record = domain::recordFromQr(p->vm["receipt"].as<std::string>());
  if (!record.starts_with("CK1;")) {
    std::ifstream in(record, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cassetto-kiosk verify-receipt: cannot read %s\n", record.c_str());
      return kExitUsage;
    }
    std::stringstream bytes;
    bytes << in.rdbuf();
    auto found = receipts::recordFromPdf(bytes.str());
    if (!found) {
      std::puts("NOT valid: the file is not a receipt of this kiosk (no verification record)");
      return kExitFailure;
    }
    record = *found;
  }
  const std::string key = receiptKeyPath(p->config);
  if (::access(key.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "cassetto-kiosk verify-receipt: no receipt key at %s\n", key.c_str());
    return kExitFailure;
  }
  auto signer = receipts::Ed25519Signer::open(key);
  if (!signer) return report("verify-receipt", signer.error());
  auto store = open(p->config, "verify-receipt");
  if (!store) return store.error();
  domain::ReceiptService service(
      **store, **signer, {p->config.branch_code, p->config.branch_name, p->config.kiosk_id});
  auto check = service.verify(record);
  if (!check) return report("verify-receipt", check.error());
  if (!check->valid) {
    std::printf("NOT valid: %s\n", check->reason.c_str());
    return kExitFailure;
  }
  std::printf("valid: protocol %s, registered %s, topic %s, %zu attachments, %s %s\n",
              check->protocol.c_str(), romeDateTimeText(check->registered_at).c_str(),
              check->topic_label.c_str(), check->attachments, check->branch_name.c_str(),
              check->kiosk_id.c_str());
  return kExitOk;
}

int runOutbox(const std::vector<std::string>& args) {
  po::options_description own("outbox options");
  own.add_options()("action", po::value<std::string>(), "list or retry")(
      "id", po::value<std::string>(), "the outbox row to retry")("all", po::bool_switch(),
                                                                 "retry every failed row")(
      "status", po::value<std::string>()->default_value(""), "list only pending, sent or failed");
  po::positional_options_description pos;
  pos.add("action", 1).add("id", 1);
  auto p = parse(args, "outbox", "list [--status failed] | retry ID | retry --all", own, pos);
  if (!p) return p.error();
  const std::string action = p->vm.count("action") ? p->vm["action"].as<std::string>() : "";
  if (action != "list" && action != "retry") {
    std::fputs("cassetto-kiosk outbox: say list or retry\n", stderr);
    return kExitUsage;
  }
  if (const auto& status = p->vm["status"].as<std::string>();
      !status.empty() && status != "pending" && status != "sent" && status != "failed") {
    std::fprintf(stderr,
                 "cassetto-kiosk outbox: --status must be pending, sent or failed, not '%s'\n",
                 status.c_str());
    return kExitUsage;
  }
  auto store = open(p->config, "outbox");
  if (!store) return store.error();
  if (action == "list") {
    auto tx = (*store)->begin(domain::TxMode::kRead);
    if (!tx) return report("outbox", tx.error());
    auto rows = (*tx)->listOutbox(p->vm["status"].as<std::string>(), 1000);
    if (!rows) return report("outbox", rows.error());
    for (const auto& o : *rows) {
      std::printf("%lld\t%s\t%s\t%s\t%s\t%s\tattempts=%d\t%s\n", static_cast<long long>(o.id),
                  o.status.c_str(), o.protocol.c_str(), o.event.c_str(), o.channel.c_str(),
                  o.recipient.c_str(), o.attempts, o.last_error.c_str());
    }
    return kExitOk;
  }
  std::int64_t id = 0;
  if (!p->vm["all"].as<bool>()) {
    if (!p->vm.count("id")) {
      std::fputs("cassetto-kiosk outbox retry: give an ID or --all\n", stderr);
      return kExitUsage;
    }
    id = std::atoll(p->vm["id"].as<std::string>().c_str());
    if (id <= 0) {
      std::fputs("cassetto-kiosk outbox retry: bad ID\n", stderr);
      return kExitUsage;
    }
  }
  SystemClock clock;
  auto tx = (*store)->begin(domain::TxMode::kWrite);
  if (!tx) return report("outbox", tx.error());
  auto n = (*tx)->retryOutbox(id, clock.nowSeconds());
  if (!n) return report("outbox", n.error());
  if (auto st = (*tx)->appendAudit({clock.nowSeconds(), "system", "outbox_retry",
                                    id ? "outbox:" + std::to_string(id) : "outbox:all-failed",
                                    std::to_string(*n) + " rows"});
      !st) {
    return report("outbox", st.error());
  }
  if (auto st = (*tx)->commit(); !st) return report("outbox", st.error());
  std::printf("%d notifications to send again\n", *n);
  return kExitOk;
}

}  // namespace kiosk::app

namespace kiosk::app {
namespace {

std::optional<std::string> readWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

constexpr const char* kManifestHead = "cassetto-kiosk backup 1";

}  // namespace

// backup DIR [--keep N]: DIR/cassetto-YYYYMMDD-HHMMSS/ with a consistent copy
// of the database (taken while the kiosk runs), the receipt key and a
// manifest (schema version and sha256 of each file). --keep: the newest N.
int runBackup(const std::vector<std::string>& args) {
  po::options_description own("backup options");
  own.add_options()("dir", po::value<std::string>(), "folder that holds the backups")(
      "keep", po::value<int>()->default_value(0), "keep only the newest N backups (0: all)");
  po::positional_options_description pos;
  pos.add("dir", 1);
  auto p = parse(args, "backup", "DIR [--keep N]", own, pos);
  if (!p) return p.error();
  if (!p->vm.count("dir") || p->vm["keep"].as<int>() < 0) {
    std::fputs("cassetto-kiosk backup: say the folder (and --keep N ≥ 0)\n", stderr);
    return kExitUsage;
  }
  const std::string db = sqlitePath(p->config.db);
  if (db.starts_with("postgresql:")) {
    std::fputs("cassetto-kiosk backup: a PostgreSQL database is backed up with pg_dump\n", stderr);
    return kExitUsage;
  }
  if (!std::filesystem::is_regular_file(db)) {
    std::fprintf(stderr, "cassetto-kiosk backup: no database at %s\n", db.c_str());
    return kExitUsage;
  }
  const std::filesystem::path root = p->vm["dir"].as<std::string>();
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "cassetto-%Y%m%d-%H%M%S", &utc);
  const std::filesystem::path dir = root / stamp;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_empty(dir)) {
    std::fprintf(stderr, "cassetto-kiosk backup: cannot make an empty %s\n", dir.c_str());
    return kExitFailure;
  }
  if (auto st = storage::backupSqlite(db, (dir / "kiosk.db").string()); !st) {
    return report("backup", st.error());
  }
  const std::string key = receiptKeyPath(p->config);
  for (const auto& [from, to] :
       {std::pair{key, "receipt-key"}, std::pair{key + ".retired", "receipt-key.retired"}}) {
    if (!std::filesystem::exists(from)) continue;
    std::filesystem::copy_file(from, dir / to, ec);
    if (ec) {
      std::fprintf(stderr, "cassetto-kiosk backup: copying %s: %s\n", from.c_str(),
                   ec.message().c_str());
      return kExitFailure;
    }
  }
  auto version = storage::sqliteSchemaVersion((dir / "kiosk.db").string());
  if (!version) return report("backup", version.error());
  std::string manifest = std::string(kManifestHead) + "\nschema " + std::to_string(*version) +
                         "\nkiosk " + p->config.kiosk_id + "\ncreated " + isoUtc(now) + "\n";
  for (const char* name : {"kiosk.db", "receipt-key", "receipt-key.retired"}) {
    auto data = readWhole(dir / name);
    if (!data) continue;
    manifest +=
        "file " + crypto::sha256Hex(*data) + " " + std::to_string(data->size()) + " " + name + "\n";
  }
  std::ofstream(dir / "manifest") << manifest;
  // Retention: the newest N folders named cassetto-* stay.
  if (const int keep = p->vm["keep"].as<int>(); keep > 0) {
    std::vector<std::filesystem::path> all;
    for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
      if (e.is_directory() && e.path().filename().string().starts_with("cassetto-")) {
        all.push_back(e.path());
      }
    }
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < all.size(); ++i) {
      std::filesystem::remove_all(all[i], ec);
    }
  }
  std::printf("backup: %s (schema %d%s)\n", dir.c_str(), *version,
              std::filesystem::exists(dir / "receipt-key") ? ", with the receipt key" : "");
  return kExitOk;
}

// restore DIR [--force]: checks the manifest's hashes, refuses a schema newer
// than the program, checks the audit chain (and its signed heads with the
// saved key) on a copy, then puts the database and the key in place. The
// kiosk must be stopped; an existing database is replaced only with --force.
int runRestore(const std::vector<std::string>& args) {
  po::options_description own("restore options");
  own.add_options()("dir", po::value<std::string>(), "one backup folder (cassetto-…)")(
      "force", po::bool_switch(), "replace the database that is there");
  po::positional_options_description pos;
  pos.add("dir", 1);
  auto p = parse(args, "restore", "DIR [--force]", own, pos);
  if (!p) return p.error();
  if (!p->vm.count("dir")) {
    std::fputs("cassetto-kiosk restore: say the backup folder\n", stderr);
    return kExitUsage;
  }
  const std::filesystem::path dir = p->vm["dir"].as<std::string>();
  auto manifest = readWhole(dir / "manifest");
  if (!manifest || !manifest->starts_with(kManifestHead)) {
    std::fprintf(stderr, "cassetto-kiosk restore: %s is not a backup (no manifest)\n", dir.c_str());
    return kExitUsage;
  }
  std::istringstream lines(*manifest);
  std::string line;
  bool has_db = false;
  while (std::getline(lines, line)) {
    if (!line.starts_with("file ")) continue;
    std::istringstream f(line.substr(5));
    std::string sha, name;
    std::size_t size = 0;
    f >> sha >> size >> name;
    auto data = readWhole(dir / name);
    if (!data || data->size() != size || crypto::sha256Hex(*data) != sha) {
      std::fprintf(stderr, "cassetto-kiosk restore: %s is missing or changed since the backup\n",
                   name.c_str());
      return kExitFailure;
    }
    has_db = has_db || name == "kiosk.db";
  }
  if (!has_db) {
    std::fputs("cassetto-kiosk restore: the manifest names no kiosk.db\n", stderr);
    return kExitUsage;
  }
  auto version = storage::sqliteSchemaVersion((dir / "kiosk.db").string());
  if (!version) return report("restore", version.error());
  if (*version > storage::knownSchemaVersion()) {
    std::fprintf(stderr,
                 "cassetto-kiosk restore: the backup's schema %d is newer than this program's %d: "
                 "install the newer program first\n",
                 *version, storage::knownSchemaVersion());
    return kExitUsage;
  }
  // The audit chain, checked on a scratch copy (opening migrates it).
  const std::string db = sqlitePath(p->config.db);
  const std::string scratch = db + ".restore-check";
  std::error_code ec;
  std::filesystem::remove(scratch, ec);
  std::filesystem::copy_file(dir / "kiosk.db", scratch, ec);
  if (ec) {
    std::fprintf(stderr, "cassetto-kiosk restore: %s: %s\n", scratch.c_str(), ec.message().c_str());
    return kExitFailure;
  }
  {
    config::Config check = p->config;
    check.db = scratch;
    auto store = open(check, "restore");
    if (!store) return store.error();
    std::unique_ptr<domain::ReceiptSigner> signer;
    if (std::filesystem::exists(dir / "receipt-key")) {
      auto opened = receipts::Ed25519Signer::open((dir / "receipt-key").string());
      if (!opened) return report("restore", opened.error());
      signer = std::move(*opened);
    }
    auto audit = domain::verifyAudit(**store, signer.get());
    if (!audit) return report("restore", audit.error());
    if (audit->first_broken) {
      std::fprintf(stderr, "cassetto-kiosk restore: audit log BROKEN at entry %lld: %s\n",
                   static_cast<long long>(*audit->first_broken), audit->why.c_str());
      return kExitFailure;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(scratch + suffix, ec);
  if (std::filesystem::exists(db) && !p->vm["force"].as<bool>()) {
    std::fprintf(stderr,
                 "cassetto-kiosk restore: %s exists: stop the kiosk and add --force to replace "
                 "it\n",
                 db.c_str());
    return kExitUsage;
  }
  const std::string incoming = db + ".restoring";
  std::filesystem::copy_file(dir / "kiosk.db", incoming,
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) {
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
    ec.clear();
    std::filesystem::rename(incoming, db, ec);
  }
  for (const auto& [from, to] :
       {std::pair{dir / "receipt-key", receiptKeyPath(p->config)},
        std::pair{dir / "receipt-key.retired", receiptKeyPath(p->config) + ".retired"}}) {
    if (!ec && std::filesystem::exists(from)) {
      std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
    }
  }
  if (ec) {
    std::fprintf(stderr, "cassetto-kiosk restore: %s\n", ec.message().c_str());
    return kExitFailure;
  }
  std::printf("restored: %s from %s (schema %d, audit log intact)\n", db.c_str(), dir.c_str(),
              *version);
  return kExitOk;
}

// receipt-key show | rotate | export-public: the keyring of receipt keys.
int runReceiptKey(const std::vector<std::string>& args) {
  po::options_description own("receipt-key options");
  own.add_options()("action", po::value<std::string>(), "show, rotate or export-public");
  po::positional_options_description pos;
  pos.add("action", 1);
  auto p = parse(args, "receipt-key", "show | rotate | export-public", own, pos);
  if (!p) return p.error();
  const std::string action = p->vm.count("action") ? p->vm["action"].as<std::string>() : "";
  if (action != "show" && action != "rotate" && action != "export-public") {
    std::fputs("cassetto-kiosk receipt-key: say show, rotate or export-public\n", stderr);
    return kExitUsage;
  }
  const std::string key = receiptKeyPath(p->config);
  if (!std::filesystem::exists(key)) {
    std::fprintf(stderr, "cassetto-kiosk receipt-key: no receipt key at %s\n", key.c_str());
    return kExitUsage;
  }
  if (action == "rotate") {
    if (auto st = receipts::Ed25519Signer::rotate(key); !st)
      return report("receipt-key", st.error());
  }
  auto signer = receipts::Ed25519Signer::open(key);
  if (!signer) return report("receipt-key", signer.error());
  if (action == "export-public") {
    for (const auto& line : (*signer)->retired()) std::printf("%s retired\n", line.c_str());
    std::printf("%s %s current\n", (*signer)->keyId().c_str(), (*signer)->publicKeyHex().c_str());
    return kExitOk;
  }
  std::printf("current: %s\n", (*signer)->keyId().c_str());
  for (const auto& line : (*signer)->retired()) {
    std::printf("retired: %s\n", line.substr(0, line.find(' ')).c_str());
  }
  if (action == "rotate") {
    std::puts(
        "Nuova chiave in uso dal prossimo avvio del servizio (systemctl restart cassetto-kiosk).");
  }
  return kExitOk;
}

}  // namespace kiosk::app
