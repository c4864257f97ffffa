// migrate-db: a standalone kiosk's SQLite data moved into a shared
// PostgreSQL database, table by table with ids kept (references stay true),
// in one PostgreSQL transaction: a failed copy leaves the target empty.
// Sessions are not moved (a migration is done with the kiosk stopped, and
// nothing personal outlives a logout). Both databases are migrated to the
// newest schema first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "domain/model.h"

namespace kiosk::storage {

struct TableCount {
  std::string table;
  std::int64_t source = 0;
  std::int64_t target = 0;
};

// Refuses (kConflict, "target_not_empty") a target that holds any professional,
// staff user, communication or audit entry. `publish`: receipt keys to add
// to the target's in the same transaction. Returns the rows of each table
// counted on both sides after the copy.
Result<std::vector<TableCount>> copySqliteToPostgres(
    const std::string& sqlite_path,
    const std::string& postgres_url,
    const std::vector<domain::PublishedKey>& publish = {});

}  // namespace kiosk::storage
