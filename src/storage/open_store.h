// open_store: the one entry point from a database URL to a Store.
//   "/path/file.db", "file.db" or "sqlite:/path/file.db"  SQLite, created and
//                                                          migrated when missing
//   "postgresql://…" or "postgres://…"                    PostgreSQL (a libpq URI, no
//                                                          password in it), migrated
//                                                          at open
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "domain/ports/store.h"

namespace kiosk::storage {

struct StoreOptions {
  int pool_size = 8;           // connections kept open (one per server thread is ideal)
  int busy_timeout_ms = 5000;  // how long a writer waits for the lock before failing
  // PostgreSQL: the server cancels a statement after this long, and the
  // kiosk stops waiting 2 s later (a frozen server answers nothing at all).
  int statement_timeout_ms = 15000;
  // SQLite, for serve: a commit never runs SQLite's automatic checkpoint
  // (which copied the WAL into the database file inside the send that
  // crossed 4 MiB, a second write and fsync); a store thread checkpoints
  // every second instead. Other commands keep the automatic one.
  bool background_checkpoint = false;
};

Result<std::unique_ptr<domain::Store>> openStore(const std::string& url,
                                                 const StoreOptions& options = {});

// The one test of which engine a database URL names: PostgreSQL for
// "postgresql://…" and "postgres://…", else an SQLite file.
bool isPostgresUrl(std::string_view url);
// The SQLite file an URL names ("sqlite:" dropped).
std::string sqliteFile(std::string_view url);

}  // namespace kiosk::storage
