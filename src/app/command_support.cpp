#include "app/command_support.h"

#include <cstdio>
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

std::string sqlitePath(std::string db) {
  if (db.starts_with("sqlite:")) db.erase(0, 7);
  return db;
}

std::string readSecretLine() {
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace kiosk::app
