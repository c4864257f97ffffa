#include "app/commands.h"

#include <malloc.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "app/command_support.h"
#include "app/kiosk_app.h"
#include "config/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/rome_time.h"
#include "core/validators.h"
#include "devices/cups_printer.h"
#include "devices/pkcs11_card.h"
#include "devices/sane_scanner.h"
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
  // An upload's 1 MiB parts come from the arenas, not each from its own
  // mmap, and a send's worth of freed memory stays for the next one: fresh
  // pages fault and are zeroed one by one, which made a kiosk's first
  // sends 20 ms slower (about 1,300 page faults per 5 MiB send).
  mallopt(M_MMAP_THRESHOLD, 2 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
  auto store = open(p->config, "serve", true);
  if (!store) return store.error();
  // A database whose heads were signed had a receipt key: a missing key is
  // an error (restore it), never silently replaced by a new one, which would
  // make every earlier receipt NOT valid.
  const std::string key = receiptKeyPath(p->config);
  if (!std::filesystem::exists(key)) {
    auto tx = (*store)->begin(domain::TxMode::kRead);
    if (!tx) return report("serve", tx.error());
    auto signed_before = (*tx)->hasAuditAnchors(p->config.kiosk_id);
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
  if (auto st = publishReceiptKeys(**store, **signer, p->config.kiosk_id); !st) {
    return report("serve", st.error());
  }
  // A kiosk that cannot write would take logins and lose sends: refuse to start.
  if (auto st = (*store)->checkWritable(); !st) {
    std::fprintf(stderr, "cassetto-kiosk serve: cannot write the database %s: %s (%s)\n",
                 (*store)->describe().c_str(), st.error().reason.c_str(),
                 st.error().detail.c_str());
    return kExitFailure;
  }
  SystemClock clock;
  KioskApp app(p->config, realPorts(p->config, std::move(*store), std::move(*signer)), clock);
  if (p->vm["demo"].as<bool>()) {
    if (auto st = seedDemo(app.store(), app.auth(), clock); !st) return report("serve", st.error());
  }
  if (auto st = app.start(); !st) {
    std::fprintf(stderr, "cassetto-kiosk serve: %s\n", st.error().message.c_str());
    return kExitFailure;
  }
  const std::string host = p->config.listen.substr(0, p->config.listen.rfind(':'));
  std::printf("listening on http://%s:%d\n", host.c_str(), app.port());
  if (app.screenPort() != 0) {
    const std::string& lane = p->config.screen_listen;
    std::printf("screen lane on http://%s:%d\n", lane.substr(0, lane.rfind(':')).c_str(),
                app.screenPort());
  }
  std::fflush(stdout);
  log::info("serve_started", {{"listen", p->config.listen}, {"db", app.store().describe()}});
  app.heartbeat();

  // Every 5 s the sessions' idle timers are written; every minute the
  // expired sessions go, the audit head is signed and the heartbeat written.
  auto next_minute = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (true) {
    timespec tick{5, 0};
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      log::info("sighup_ignored", {{"hint", "restart the service to apply a changed kiosk.conf"}});
      continue;
    }
    if (std::chrono::steady_clock::now() < next_minute) {
      app.flushSessionTouches();
      continue;
    }
    next_minute += std::chrono::minutes(1);
    app.sweepSessions();
    app.anchorAudit();
    app.heartbeat();
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

int runSelftest(const std::vector<std::string>& args) {
  auto p = parse(args, "selftest", "", po::options_description("selftest options"));
  if (!p) return p.error();
  bool ok = true;
  auto store = storage::openStore(p->config.db,
                                  {2, p->config.busy_timeout_ms, p->config.statement_timeout_ms});
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
    std::printf("printer: %s %s\n", st.ready() ? "ok" : "FAIL", st.detail.c_str());
    ok = ok && st.ready();
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
  devices::Pkcs11Card card(p->config.card);
  for (auto [part, st] : {std::pair{"scanner", scanner.state()}, std::pair{"usb", usb.state()},
                          std::pair{"card", card.state()}}) {
    if (st.status == domain::DeviceStatus::kNotConfigured) {
      std::printf("%s: not configured\n", part);
    } else {
      std::printf("%s: %s %s\n", part, st.ready() ? "ok" : "FAIL", st.detail.c_str());
      ok = ok && st.ready();
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
  // The result goes into the database too: the technician's fleet view shows
  // each kiosk's last selftest.
  if (store && (*store)->ping()) {
    auto tx = (*store)->begin(domain::TxMode::kWrite);
    const bool recorded =
        tx &&
        (*tx)->recordSelftest(p->config.kiosk_id, static_cast<std::int64_t>(std::time(nullptr)), ok,
                              ok ? "tutte le verifiche superate"
                                 : "verifiche non superate: eseguire selftest sul chiosco") &&
        (*tx)->commit();
    std::printf("recorded: %s\n", recorded ? "ok" : "FAIL");
  }
  return ok ? kExitOk : kExitFailure;
}

int runAuditVerify(const std::vector<std::string>& args) {
  po::options_description own("audit-verify options");
  own.add_options()("anchors", po::value<std::string>(),
                    "the signed heads the journal forwarded off the box (journalctl -o cat "
                    "lines, or the kiosk's JSON log; - for standard input): each must still "
                    "be in the database");
  auto p = parse(args, "audit-verify", "[--anchors FILE]", own);
  if (!p) return p.error();
  std::optional<std::vector<domain::AuditAnchor>> outside;
  if (p->vm.count("anchors")) {
    const std::string from = p->vm["anchors"].as<std::string>();
    std::ifstream file;
    if (from != "-") {
      file.open(from);
      if (!file) {
        std::fprintf(stderr, "cassetto-kiosk audit-verify: cannot read %s\n", from.c_str());
        return kExitUsage;
      }
    }
    outside = domain::anchorsFromJournal(from == "-" ? std::cin : file);
  }
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
  // Without the private key (a desk, a technician's laptop on the fleet's
  // database) the heads are still checked, with the published public keys.
  receipts::Ed25519Verifier public_only;
  auto check = domain::verifyAudit(**store, signer ? signer.get() : &public_only,
                                   p->config.kiosk_id, outside ? &*outside : nullptr);
  if (!check) return report("audit-verify", check.error());
  if (check->first_broken) {
    std::printf("audit log: BROKEN at entry %lld: %s\n",
                static_cast<long long>(*check->first_broken), check->why.c_str());
    return kExitFailure;
  }
  std::printf("audit log: %lld entries, chain intact\n", static_cast<long long>(check->entries));
  std::printf("signed heads: %lld match%s\n", static_cast<long long>(check->anchors),
              signer ? "" : " (checked with the public keys in the database)");
  if (outside) {
    std::printf("journal: %lld signed heads, all in the database\n",
                static_cast<long long>(check->outside));
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
  const std::string& status_name = p->vm["status"].as<std::string>();
  const auto status = domain::parseName<domain::OutboxStatus>(status_name);
  if (!status_name.empty() && !status) {
    std::fprintf(stderr,
                 "cassetto-kiosk outbox: --status must be pending, sent or failed, not '%s'\n",
                 status_name.c_str());
    return kExitUsage;
  }
  auto store = open(p->config, "outbox");
  if (!store) return store.error();
  SystemClock clock;
  domain::OutboxDesk desk(**store, clock);
  if (action == "list") {
    auto rows = desk.list(status, 1000);
    if (!rows) return report("outbox", rows.error());
    for (const auto& o : *rows) {
      std::printf("%lld\t%s\t%s\t%s\t%s\t%s\tattempts=%d\t%s\n", static_cast<long long>(o.id),
                  std::string(nameOf(o.status)).c_str(), o.protocol.c_str(),
                  std::string(nameOf(o.event)).c_str(), std::string(nameOf(o.channel)).c_str(),
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
  auto n = desk.retry("system", id);
  if (!n) return report("outbox", n.error());
  std::printf("%d notifications to send again\n", *n);
  return kExitOk;
}

}  // namespace kiosk::app
