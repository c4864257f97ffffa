#include "storage/open_store.h"

#include "storage/postgres/pg_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace kiosk::storage {

Result<std::unique_ptr<domain::Store>> openStore(const std::string& url,
                                                 const StoreOptions& options) {
  if (url.empty()) {
    return fail(Error::invalid("invalid_db", "database URL is empty"));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto store = PgStore::open(url, options);
    if (!store) return fail(store.error());
    return std::unique_ptr<domain::Store>(std::move(*store));
  }
  std::string path = url;
  if (path.starts_with("sqlite:")) path.erase(0, 7);
  auto store = SqliteStore::open(path, options);
  if (!store) return fail(store.error());
  return std::unique_ptr<domain::Store>(std::move(*store));
}

}  // namespace kiosk::storage
