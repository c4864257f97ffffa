#include "storage/open_store.h"

#include "storage/sqlite/sqlite_store.h"

namespace kiosk::storage {

Result<std::unique_ptr<domain::Store>> openStore(const std::string& url,
                                                 const StoreOptions& options) {
  if (url.empty()) {
    return fail(Error::invalid("invalid_db", "database URL is empty"));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return fail(Error::invalid(
        "unsupported_db", "PostgreSQL is not supported by this build yet; use an SQLite path"));
  }
  std::string path = url;
  if (path.starts_with("sqlite:")) path.erase(0, 7);
  auto store = SqliteStore::open(path, options);
  if (!store) return fail(store.error());
  return std::unique_ptr<domain::Store>(std::move(*store));
}

}  // namespace kiosk::storage
