#include "storage/open_store.h"

#include "storage/postgres/pg_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace kiosk::storage {

Result<std::unique_ptr<domain::Store>> openStore(const std::string& url,
                                                 const StoreOptions& options) {
  if (url.empty()) {
    return fail(Error::invalid("invalid_db", "database URL is empty"));
  }
  if (isPostgresUrl(url)) {
    auto store = PgStore::open(url, options);
    if (!store) return fail(store.error());
    return std::unique_ptr<domain::Store>(std::move(*store));
  }
  auto store = SqliteStore::open(sqliteFile(url), options);
  if (!store) return fail(store.error());
  return std::unique_ptr<domain::Store>(std::move(*store));
}

bool isPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string sqliteFile(std::string_view url) {
  if (url.starts_with("sqlite:")) url.remove_prefix(7);
  return std::string(url);
}

}  // namespace kiosk::storage
