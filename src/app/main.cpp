// cassetto-kiosk: the kiosk's one program. See CONTRACT.md for the commands.
#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "app/commands.h"
#include "devices/sane_scanner.h"

namespace {

constexpr const char* kUsage =
    "usage: cassetto-kiosk COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  serve            run the kiosk (web UI and JSON API)\n"
    "  import-archive   import professionals from a Gestione Separata CSV extract\n"
    "  set-pin          set a professional's PIN (read from standard input)\n"
    "  add-staff        add or update a staff or technician account (password on stdin)\n"
    "  selftest         check database and devices, one line each\n"
    "  audit-verify     check the audit log's hash chain, name the first broken entry\n"
    "  verify-receipt   check a receipt PDF or its QR text against the kiosk's records\n"
    "  outbox           list notifications, retry failed ones (list | retry ID | retry --all)\n"
    "  hash-password    print an argon2id hash of the password on stdin (for provisioning)\n"
    "  backup DIR       an online copy of the database and the receipt key, with a manifest\n"
    "  restore DIR      check a backup (hashes, schema, audit chain) and put it in place\n"
    "  receipt-key      show | rotate | export-public: the receipt keys (older ones still verify)\n"
    "  migrate-db       --from FILE --to postgresql://…: a kiosk's data into a shared one\n"
    "\n"
    "Every command takes --config FILE and --db PATH|URL; COMMAND --help tells more.\n";

}  // namespace

int main(int argc, char** argv) {
  // A scan's helper process (devices/sane_scanner.h): not a command.
  kiosk::devices::runScanHelperIfAsked(argc, argv);
  // Whatever a command creates (database, -wal, -shm, receipt key) is the
  // kiosk's alone: 0600 files, 0700 folders.
  ::umask(0077);
  using Command = int (*)(const std::vector<std::string>&);
  const std::map<std::string, Command> commands = {
      {"serve", kiosk::app::runServe},
      {"import-archive", kiosk::app::runImportArchive},
      {"set-pin", kiosk::app::runSetPin},
      {"add-staff", kiosk::app::runAddStaff},
      {"selftest", kiosk::app::runSelftest},
      {"audit-verify", kiosk::app::runAuditVerify},
      {"verify-receipt", kiosk::app::runVerifyReceipt},
      {"outbox", kiosk::app::runOutbox},
      {"hash-password", kiosk::app::runHashPassword},
      {"backup", kiosk::app::runBackup},
      {"restore", kiosk::app::runRestore},
      {"receipt-key", kiosk::app::runReceiptKey},
      {"migrate-db", kiosk::app::runMigrateDb},
  };
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kiosk::app::kExitUsage;
  }
  const std::string name = argv[1];
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--version") {
      std::printf("cassetto-kiosk %s\n", KIOSK_VERSION);
      return kiosk::app::kExitOk;
    }
  }
  if (name == "--help" || name == "-h" || name == "help") {
    std::fputs(kUsage, stdout);
    return kiosk::app::kExitOk;
  }
  auto it = commands.find(name);
  if (it == commands.end()) {
    std::fprintf(stderr, "cassetto-kiosk: unknown command '%s' (try --help)\n", name.c_str());
    return kiosk::app::kExitUsage;
  }
  return it->second(std::vector<std::string>(argv + 2, argv + argc));
}
