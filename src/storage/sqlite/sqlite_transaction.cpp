// SqliteTransaction: accounts, contacts, staff, sessions and the audit log.
#include "storage/sqlite/sqlite_internal.h"

namespace kiosk::storage {

SqliteTransaction::~SqliteTransaction() {
  if (!done_) {
    (void)conn_->step("ROLLBACK");
  }
  if (files_in_cache_) sqlite3_db_release_memory(conn_->db());
  // Back to the usual size; should it fail, the connection only searches
  // slower with the small cache.
  if (small_cache_) (void)conn_->exec(kUsualCache);
  store_.release(std::move(conn_));
}

void SqliteTransaction::filesTouched() {
  files_in_cache_ = true;
  if (!small_cache_) small_cache_ = static_cast<bool>(conn_->exec(kFilesCache));
}

Status SqliteTransaction::commit() {
  if (auto st = conn_->step("COMMIT"); !st) return st;
  done_ = true;
  return {};
}

Result<Query> SqliteTransaction::query(const char* sql) {
  auto stmt = conn_->prepare(sql);
  if (!stmt) return fail(stmt.error());
  return Result<Query>(std::in_place, *conn_, *stmt);
}

// --- the shared SQL's driver (storage/sql_core.h) ------------------------

namespace {

// A row of a stepped statement for the shared readers.
class SqliteSqlRow final : public SqlRow {
 public:
  explicit SqliteSqlRow(const Query& q) : q_(q) {}
  std::string text(int col) const override { return q_.text(col); }
  std::int64_t int64(int col) const override { return q_.int64(col); }

 private:
  const Query& q_;
};

void bindAll(Query& q, const SqlParams& params) {
  int n = 0;
  for (const auto& v : params.values()) {
    ++n;
    if (std::holds_alternative<SqlParams::Null>(v)) {
      q.bindNullAt(n);
    } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
      q.bindAt(n, *i);
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      q.bindAt(n, std::string_view(*t));
    } else {
      q.bindBlobAt(n, std::get<SqlParams::Bytes>(v).data);
    }
  }
}

}  // namespace

Status SqliteTransaction::each(const std::string& sql,
                               const SqlParams& params,
                               const RowVisit& visit) {
  auto q = query(sql.c_str());
  if (!q) return fail(q.error());
  bindAll(*q, params);
  return q->each([&](Query& row) { return visit(SqliteSqlRow(row)); });
}

Result<std::int64_t> SqliteTransaction::change(const std::string& sql, const SqlParams& params) {
  auto q = query(sql.c_str());
  if (!q) return fail(q.error());
  bindAll(*q, params);
  if (auto st = q->run(); !st) return fail(st.error());
  return sqlite3_changes64(conn_->db());
}

// The staff's search index knows the threads by the surname: each row is
// taken out with the text it was indexed with, and put back after the change.
Status SqliteTransaction::beforeNamesChange(std::int64_t professional_id) {
  return exec(
      "INSERT INTO communications_words (communications_words, rowid, words) "
      "SELECT 'delete', id, words FROM communications_words_text WHERE professional_id = $1",
      SqlParams().add(professional_id));
}

Status SqliteTransaction::afterNamesChange(std::int64_t professional_id) {
  return exec(
      "INSERT INTO communications_words (rowid, words) "
      "SELECT id, words FROM communications_words_text WHERE professional_id = $1",
      SqlParams().add(professional_id));
}

// A new thread goes into the staff's search index in the same transaction.
Status SqliteTransaction::afterCommunicationInsert(std::int64_t id) {
  return exec(
      "INSERT INTO communications_words (rowid, words) "
      "SELECT id, words FROM communications_words_text WHERE id = $1",
      SqlParams().add(id));
}

}  // namespace kiosk::storage
