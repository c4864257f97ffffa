#include "app/command_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "storage/open_store.h"

namespace kiosk::app {

std::expected<Parsed, int> parse(const std::vector<std::string>& args,
                                 const std::string& command,
                                 const std::string& synopsis,
                                 po::options_description own,
                                 const po::positional_options_description& positional) {
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
                                                        const std::string& command,
                                                        bool serving) {
  auto store =
      storage::openStore(c.db, {c.threads + 2, c.busy_timeout_ms, c.statement_timeout_ms, serving});
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

std::string sqlitePath(std::string db) { return storage::sqliteFile(db); }

std::string readSecretLine() {
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace kiosk::app

namespace kiosk::app {

void keepFolderOwner(const std::string& file) {
  if (::geteuid() != 0) return;
  const std::string folder = std::filesystem::path(file).parent_path().empty()
                                 ? std::string(".")
                                 : std::filesystem::path(file).parent_path().string();
  struct stat dir {};
  struct stat own {};
  if (::stat(folder.c_str(), &dir) != 0 || ::stat(file.c_str(), &own) != 0) return;
  if (dir.st_uid == 0 || (own.st_uid == dir.st_uid && own.st_gid == dir.st_gid)) return;
  if (::chown(file.c_str(), dir.st_uid, dir.st_gid) != 0) {
    std::fprintf(stderr, "warning: cannot hand %s to the folder's owner: %s\n", file.c_str(),
                 std::strerror(errno));
  }
}

}  // namespace kiosk::app
