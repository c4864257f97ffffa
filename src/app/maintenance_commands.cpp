// The keeper's commands: staff password hashes, backup and restore, and the
// receipt keyring.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "app/command_support.h"
#include "app/commands.h"
#include "app/kiosk_app.h"
#include "core/crypto.h"
#include "core/rome_time.h"
#include "core/validators.h"
#include "domain/audit.h"
#include "receipts/ed25519_signer.h"
#include "storage/backup.h"
#include "storage/migrate_db.h"
#include "storage/open_store.h"

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
constexpr auto kOwnerOnly =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

}  // namespace

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

// backup DIR [--keep N]: DIR/cassetto-YYYYMMDD-HHMMSS+0100/ (Rome time) with a consistent copy
// of the database (taken while the kiosk runs), the receipt key and a
// manifest (schema version and sha256 of each file). --keep: the newest N.
// A kiosk of a branch fleet backs up what it owns, its receipt keys: the
// shared PostgreSQL database is the branch's to back up (pg_dump).
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
  const bool fleet = storage::isPostgresUrl(db);
  if (!fleet && !std::filesystem::is_regular_file(db)) {
    std::fprintf(stderr, "cassetto-kiosk backup: no database at %s\n", db.c_str());
    return kExitUsage;
  }
  const std::filesystem::path root = p->vm["dir"].as<std::string>();
  // Named in Rome's time, as the technician reads a clock, with its offset:
  // the hour repeated when summer time ends still gives two names.
  char stamp[48];
  const std::time_t now = std::time(nullptr);
  const auto rome = romeTime(now);
  std::snprintf(stamp, sizeof stamp, "cassetto-%04d%02d%02d-%02d%02d%02d%s", rome.year, rome.month,
                rome.day, rome.hour, rome.minute, rome.second,
                rome.utc_offset_minutes == 120 ? "+0200" : "+0100");
  const std::filesystem::path dir = root / stamp;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_empty(dir)) {
    std::fprintf(stderr, "cassetto-kiosk backup: cannot make an empty %s\n", dir.c_str());
    return kExitFailure;
  }
  if (!fleet) {
    if (auto st = storage::backupSqlite(db, (dir / "kiosk.db").string()); !st) {
      return report("backup", st.error());
    }
  }
  const std::string key = receiptKeyPath(p->config);
  if (fleet && !std::filesystem::exists(key)) {
    std::fprintf(stderr, "cassetto-kiosk backup: no receipt key at %s\n", key.c_str());
    std::filesystem::remove_all(dir, ec);
    return kExitUsage;
  }
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
  auto version = fleet ? Result<int>(0) : storage::sqliteSchemaVersion((dir / "kiosk.db").string());
  if (!version) return report("backup", version.error());
  std::string manifest = std::string(kManifestHead) + "\nschema " + std::to_string(*version) +
                         "\nkiosk " + p->config.kiosk_id + "\ncreated " + isoUtc(now) + "\n";
  if (fleet) manifest += "database shared (PostgreSQL: backed up by the branch with pg_dump)\n";
  for (const char* name : {"kiosk.db", "receipt-key", "receipt-key.retired"}) {
    if (!std::filesystem::exists(dir / name, ec)) continue;
    auto digest = crypto::sha256File((dir / name).string());  // read in pieces
    if (!digest) {
      std::fprintf(stderr, "cassetto-kiosk backup: cannot read back %s\n", name);
      return kExitFailure;
    }
    manifest += "file " + digest->sha256 + " " + std::to_string(digest->size) + " " + name + "\n";
  }
  std::ofstream(dir / "manifest") << manifest;
  // Retention: the newest N folders named cassetto-* stay, newest by when
  // their manifest was written (names in local time do not sort across the
  // end of summer time; a folder without a manifest is the oldest).
  if (const int keep = p->vm["keep"].as<int>(); keep > 0) {
    std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> all;
    for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
      if (e.is_directory() && e.path().filename().string().starts_with("cassetto-")) {
        std::error_code mec;
        auto written = std::filesystem::last_write_time(e.path() / "manifest", mec);
        if (mec) written = std::filesystem::file_time_type::min();
        all.emplace_back(written, e.path());
      }
    }
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < all.size(); ++i) {
      std::filesystem::remove_all(all[i].second, ec);
    }
  }
  if (fleet) {
    std::printf(
        "backup: %s (the receipt key; the shared database is backed up by the branch with "
        "pg_dump)\n",
        dir.c_str());
    return kExitOk;
  }
  std::printf("backup: %s (schema %d%s)\n", dir.c_str(), *version,
              std::filesystem::exists(dir / "receipt-key") ? ", with the receipt key" : "");
  return kExitOk;
}

namespace {

// Refuses to replace `path` without --force (the kiosk must be stopped first).
bool refusesOverwrite(const std::string& path, bool force) {
  if (!std::filesystem::exists(path) || force) return false;
  std::fprintf(stderr,
               "cassetto-kiosk restore: %s exists: stop the kiosk and add --force to replace it\n",
               path.c_str());
  return true;
}

// Puts the backup's receipt keys that the manifest lists at `key` (and its
// ".retired" keyring), 0600, handed to the folder's owner.
std::error_code restoreKeys(const std::filesystem::path& dir,
                            const std::set<std::string>& listed,
                            const std::string& key) {
  std::error_code ec;
  for (const auto& [name, to] : {std::pair{std::string("receipt-key"), key},
                                 std::pair{std::string("receipt-key.retired"), key + ".retired"}}) {
    if (!ec && listed.count(name)) {
      std::filesystem::copy_file(dir / name, to, std::filesystem::copy_options::overwrite_existing,
                                 ec);
      if (!ec) std::filesystem::permissions(to, kOwnerOnly, ec);
    }
  }
  if (!ec) {
    keepFolderOwner(key);
    keepFolderOwner(key + ".retired");
  }
  return ec;
}

}  // namespace

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
  // A regular file of a manifest's size: a FIFO or /dev/zero put in its
  // place is not read.
  std::error_code manifest_ec;
  const bool plain = std::filesystem::is_regular_file(
                         std::filesystem::symlink_status(dir / "manifest", manifest_ec)) &&
                     std::filesystem::file_size(dir / "manifest", manifest_ec) <= 64 * 1024;
  auto manifest = plain && !manifest_ec ? readWhole(dir / "manifest") : std::nullopt;
  if (!manifest || !manifest->starts_with(kManifestHead)) {
    std::fprintf(stderr, "cassetto-kiosk restore: %s is not a backup (no manifest)\n", dir.c_str());
    return kExitUsage;
  }
  std::istringstream lines(*manifest);
  std::string line;
  bool has_db = false;
  std::set<std::string> listed;  // only these are restored
  while (std::getline(lines, line)) {
    if (!line.starts_with("file ")) continue;
    std::istringstream f(line.substr(5));
    std::string sha, name;
    std::size_t size = 0;
    f >> sha >> size >> name;
    // Only the files a backup holds, inside its folder: no path, no other name.
    if (name != "kiosk.db" && name != "receipt-key" && name != "receipt-key.retired") {
      std::fprintf(stderr, "cassetto-kiosk restore: \"%s\" is not a file of a backup\n",
                   name.c_str());
      return kExitUsage;
    }
    // A regular file of the size the manifest says, before anything is read
    // (a FIFO would wait for ever, /dev/zero would fill the memory).
    std::error_code ec;
    const auto st = std::filesystem::symlink_status(dir / name, ec);
    if (ec || !std::filesystem::is_regular_file(st)) {
      std::fprintf(stderr, "cassetto-kiosk restore: %s is not a regular file\n", name.c_str());
      return kExitFailure;
    }
    const auto on_disk = std::filesystem::file_size(dir / name, ec);
    auto digest = ec || on_disk != size ? std::nullopt : crypto::sha256File((dir / name).string());
    if (!digest || digest->size != size || digest->sha256 != sha) {
      std::fprintf(stderr, "cassetto-kiosk restore: %s is missing or changed since the backup\n",
                   name.c_str());
      return kExitFailure;
    }
    has_db = has_db || name == "kiosk.db";
    listed.insert(name);
  }
  const std::string target = sqlitePath(p->config.db);
  if (storage::isPostgresUrl(target)) {
    // A kiosk of a fleet: its own files come back; the shared database is
    // the branch's (its own PostgreSQL backups).
    if (has_db) {
      std::fputs(
          "cassetto-kiosk restore: this backup holds a standalone kiosk's database: move it into "
          "PostgreSQL with migrate-db\n",
          stderr);
      return kExitUsage;
    }
    if (!listed.count("receipt-key")) {
      std::fputs("cassetto-kiosk restore: the backup holds no receipt key\n", stderr);
      return kExitUsage;
    }
    const std::string key = receiptKeyPath(p->config);
    if (refusesOverwrite(key, p->vm["force"].as<bool>())) return kExitUsage;
    if (const auto ec = restoreKeys(dir, listed, key)) {
      std::fprintf(stderr, "cassetto-kiosk restore: %s\n", ec.message().c_str());
      return kExitFailure;
    }
    std::printf(
        "restored: the receipt key %s from %s (the shared database is not in a kiosk's "
        "backup)\n",
        key.c_str(), dir.c_str());
    return kExitOk;
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
  // A replacement box may not have the folder yet: made private, as the
  // package makes /var/lib/cassetto-kiosk.
  if (const auto folder = std::filesystem::path(db).parent_path();
      !folder.empty() && !std::filesystem::exists(folder, ec) &&
      std::filesystem::create_directories(folder, ec)) {
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all, ec);
  }
  std::filesystem::remove(scratch, ec);
  std::filesystem::copy_file(dir / "kiosk.db", scratch, ec);
  if (!ec) std::filesystem::permissions(scratch, kOwnerOnly, ec);
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
    if (listed.count("receipt-key")) {
      auto opened = receipts::Ed25519Signer::open((dir / "receipt-key").string());
      if (!opened) return report("restore", opened.error());
      signer = std::move(*opened);
    }
    auto audit = domain::verifyAudit(**store, signer.get(), p->config.kiosk_id);
    if (!audit) return report("restore", audit.error());
    if (audit->first_broken) {
      std::fprintf(stderr, "cassetto-kiosk restore: audit log BROKEN at entry %lld: %s\n",
                   static_cast<long long>(*audit->first_broken), audit->why.c_str());
      return kExitFailure;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(scratch + suffix, ec);
  if (refusesOverwrite(db, p->vm["force"].as<bool>())) return kExitUsage;
  const std::string incoming = db + ".restoring";
  std::filesystem::copy_file(dir / "kiosk.db", incoming,
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) std::filesystem::permissions(incoming, kOwnerOnly, ec);
  if (!ec) {
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
    ec.clear();
    std::filesystem::rename(incoming, db, ec);
  }
  if (!ec) ec = restoreKeys(dir, listed, receiptKeyPath(p->config));
  if (ec) {
    std::fprintf(stderr, "cassetto-kiosk restore: %s\n", ec.message().c_str());
    return kExitFailure;
  }
  keepFolderOwner(db);
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
  std::error_code exists_ec;
  if (!std::filesystem::exists(key, exists_ec) && !exists_ec) {
    std::fprintf(stderr, "cassetto-kiosk receipt-key: no receipt key at %s\n", key.c_str());
    return kExitUsage;
  }
  if (action == "rotate") {
    if (auto st = receipts::Ed25519Signer::rotate(key); !st)
      return report("receipt-key", st.error());
    keepFolderOwner(key);
    keepFolderOwner(key + ".retired");
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

namespace kiosk::app {

// migrate-db --from kiosk.db --to postgresql://…: a standalone kiosk's data
// (attachments included) into an empty shared database. The source's audit
// chain and signed heads are checked first (a broken one copies nothing),
// the copy is one transaction (any failure leaves the target empty), counts
// and the chain are checked again on the target. The receipt keys the source
// database published go with it; a key found only in the key file is
// published for every desk only with --trust-key.
int runMigrateDb(const std::vector<std::string>& args) {
  po::options_description own("migrate-db options");
  own.add_options()("from", po::value<std::string>(), "the kiosk's SQLite file")(
      "to", po::value<std::string>(), "the shared database: postgresql://USER@HOST:PORT/DB")(
      "trust-key", po::bool_switch(),
      "publish the key file's receipt keys that the source database does not hold");
  auto p = parse(args, "migrate-db", "--from kiosk.db --to postgresql://USER@HOST:PORT/DB", own);
  if (!p) return p.error();
  if (!p->vm.count("from") || !p->vm.count("to")) {
    std::fputs("cassetto-kiosk migrate-db: say --from FILE and --to URL\n", stderr);
    return kExitUsage;
  }
  const std::string from = sqlitePath(p->vm["from"].as<std::string>());
  const std::string to = p->vm["to"].as<std::string>();
  if (!storage::isPostgresUrl(to)) {
    std::fputs("cassetto-kiosk migrate-db: --to must be a postgresql:// URL\n", stderr);
    return kExitUsage;
  }
  if (!std::filesystem::is_regular_file(from)) {
    std::fprintf(stderr, "cassetto-kiosk migrate-db: no database file %s\n", from.c_str());
    return kExitUsage;
  }
  // First the source: its chain and signed heads, with the key file if
  // there is one, else with the keys the source database published.
  config::Config source = p->config;
  source.db = from;
  std::unique_ptr<receipts::Ed25519Signer> signer;
  if (const std::string key = receiptKeyPath(source); std::filesystem::exists(key)) {
    auto opened = receipts::Ed25519Signer::open(key);
    if (!opened) return report("migrate-db", opened.error());
    signer = std::move(*opened);
  }
  // The chain and its signed heads: with the key file's keys when there is
  // one, else with the keys published in the database.
  auto verify = [&](domain::Store& store) {
    receipts::Ed25519Verifier public_only;
    domain::ReceiptSigner* keys = signer.get();
    return domain::verifyAudit(store, keys ? keys : &public_only, p->config.kiosk_id);
  };
  std::vector<domain::PublishedKey> publish;
  {
    auto source_store = storage::openStore(from);
    if (!source_store) return report("migrate-db", source_store.error());
    auto before = verify(**source_store);
    if (!before) return report("migrate-db", before.error());
    if (before->first_broken) {
      std::printf("audit log of %s: BROKEN at entry %lld: %s\nnothing was copied\n", from.c_str(),
                  static_cast<long long>(*before->first_broken), before->why.c_str());
      return kExitFailure;
    }
    if (signer) {
      auto tx = (*source_store)->begin(domain::TxMode::kRead);
      if (!tx) return report("migrate-db", tx.error());
      auto held = (*tx)->receiptKeys();
      if (!held) return report("migrate-db", held.error());
      std::set<std::string> known;
      for (const auto& k : *held) known.insert(k.key_id);
      for (auto& k : publicKeysOf(*signer, p->config.kiosk_id, std::time(nullptr))) {
        if (known.contains(k.key_id)) continue;
        if (p->vm["trust-key"].as<bool>()) {
          std::printf("receipt key %s: only in the key file, published (--trust-key)\n",
                      k.key_id.c_str());
          publish.push_back(std::move(k));
        } else {
          std::printf(
              "receipt key %s: only in the key file, NOT published for the other desks "
              "(check it is this kiosk's, then run again on an empty database with "
              "--trust-key)\n",
              k.key_id.c_str());
        }
      }
    }
  }
  auto counts = storage::copySqliteToPostgres(from, to, publish);
  if (!counts) {
    if (counts.error().reason == "target_not_empty") {
      std::fprintf(stderr, "cassetto-kiosk migrate-db: %s\n", counts.error().message.c_str());
      return kExitUsage;
    }
    return report("migrate-db", counts.error());
  }
  bool same = true;
  for (const auto& c : *counts) {
    std::printf("%-18s %8lld → %8lld%s\n", c.table.c_str(), static_cast<long long>(c.source),
                static_cast<long long>(c.target), c.source == c.target ? "" : "  DIFFERENT");
    same = same && c.source == c.target;
  }
  auto store = storage::openStore(to);
  if (!store) return report("migrate-db", store.error());
  auto check = verify(**store);
  if (!check) return report("migrate-db", check.error());
  if (check->first_broken) {
    std::printf("audit log: BROKEN at entry %lld: %s\n",
                static_cast<long long>(*check->first_broken), check->why.c_str());
    return kExitFailure;
  }
  std::printf("audit log: %lld entries, chain intact; signed heads: %lld match\n",
              static_cast<long long>(check->entries), static_cast<long long>(check->anchors));
  if (!same) return kExitFailure;
  std::printf("migrated: %s → %s\n", from.c_str(), (*store)->describe().c_str());
  return kExitOk;
}

}  // namespace kiosk::app
