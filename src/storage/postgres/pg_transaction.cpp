// PgTransaction: its life (begin, reconnection, commit) and the driver of the
// shared SQL (storage/sql_core.h: professionals, contacts, staff, sessions,
// audit and the fleet); communications and the outbox are in
// pg_communications.cpp.
#include "core/log.h"
#include "storage/postgres/pg_internal.h"

namespace kiosk::storage {

PgTransaction::~PgTransaction() {
  if (!conn_) return;  // lost with its reconnection (run)
  if (read_) {
    // Nothing was begun if nothing was read; else the end is not waited for.
    if (!done_ && !conn_->beginDeferred() && !conn_->broken()) conn_->rollbackLater();
  } else if (!done_ && !conn_->broken()) {
    (void)conn_->exec("ROLLBACK");
  }
  store_.release(std::move(conn_));
}

template <typename Statement>
Result<PgResult> PgTransaction::onConnection(Statement statement) {
  if (!conn_) return fail(databaseUnavailable("no connection"));
  const bool first = conn_->beginDeferred();
  auto r = statement(*conn_);
  // A server silent past the bound is not asked again: the request's wait stays bounded.
  if (r || !first || !conn_->broken() || conn_->timedOut()) return r;
  // A pooled connection the server dropped (restart, failover): nothing was
  // read yet, so the transaction starts again on a new connection.
  log::warn("database_reconnect", {{"detail", r.error().detail}});
  store_.release(std::move(conn_));
  auto fresh = store_.acquire();
  if (!fresh) return fail(fresh.error());
  conn_ = std::move(*fresh);
  conn_->deferBegin(begin_sql_);
  return statement(*conn_);
}

Result<PgResult> PgTransaction::run(const std::string& sql,
                                    const PgParams& params,
                                    int result_format) {
  return onConnection([&](PgConnection& c) { return c.run(sql, params, result_format); });
}

Status PgTransaction::commit() {
  if (!conn_) return fail(databaseUnavailable("no connection"));
  if (read_) {
    // A read-only transaction has nothing to commit: it ends as a rollback.
    if (!conn_->beginDeferred()) conn_->rollbackLater();
    done_ = true;
    return {};
  }
  auto r = conn_->exec("COMMIT");
  if (!r) return fail(r.error());
  // COMMIT of a transaction that already failed answers ROLLBACK, not an error.
  if (std::string_view(PQcmdStatus(r->get())) != "COMMIT") {
    return fail(Error::internal("commit rolled back: the transaction had failed"));
  }
  done_ = true;
  return {};
}

// --- the shared SQL's driver (storage/sql_core.h) ------------------------

namespace {

// A row of a PgResult for the shared readers.
class PgSqlRow final : public SqlRow {
 public:
  PgSqlRow(const PgResult& r, int row) : row_(r, row) {}
  std::string text(int col) const override { return row_.text(col); }
  std::int64_t int64(int col) const override { return row_.int64(col); }

 private:
  PgRow row_;
};

PgParams pgParams(const SqlParams& params) {
  PgParams out;
  for (const auto& v : params.values()) {
    if (std::holds_alternative<SqlParams::Null>(v)) {
      out.addId(0);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      out.add(*n);
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      out.add(std::string_view(*t));
    } else {
      out.addBytes(std::get<SqlParams::Bytes>(v).data);
    }
  }
  return out;
}

}  // namespace

Status PgTransaction::each(const std::string& sql, const SqlParams& params, const RowVisit& visit) {
  auto r = run(sql, pgParams(params));
  if (!r) return fail(r.error());
  for (int i = 0; i < r->rows(); ++i) {
    if (!visit(PgSqlRow(*r, i))) break;
  }
  return {};
}

Result<std::int64_t> PgTransaction::change(const std::string& sql, const SqlParams& params) {
  auto r = run(sql, pgParams(params));
  if (!r) return fail(r.error());
  return r->affected();
}

Status PgTransaction::serialize() {
  if (lock_sql_.empty()) return {};
  auto r = run(lock_sql_);
  if (!r) return fail(r.error());
  lock_sql_.clear();
  return {};
}

Status PgTransaction::stageAttachments(std::span<const domain::NewAttachment> files) {
  for (const auto& a : files) {
    auto id = insertAttachment(0, a);  // no message yet: NULL
    if (!id) return fail(id.error());
    staged_ids_.push_back(*id);
  }
  return {};
}

Result<std::vector<std::int64_t>> PgTransaction::insertStagedAttachments(std::int64_t message_id) {
  std::vector<std::int64_t> ids = std::exchange(staged_ids_, {});
  if (ids.empty()) return ids;
  std::string array = "{";
  for (std::int64_t id : ids) array += (array.size() > 1 ? "," : "") + std::to_string(id);
  array += '}';
  auto r = run("UPDATE attachments SET message_id = $1 WHERE id = ANY($2::bigint[])",
               PgParams().add(message_id).add(std::string_view(array)));
  if (!r) return fail(r.error());
  return ids;
}

}  // namespace kiosk::storage
