// PgTransaction: its life (begin, reconnection, commit) and the Store methods
// of professionals, contacts, staff, sessions, audit and the fleet, in
// PostgreSQL's SQL; communications and the outbox are in pg_communications.cpp.
// The row readers and column lists are the SQLite engine's own (storage/rows.h).
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

Result<PgResult> PgTransaction::runAhead(const std::string& sql, const PgParams& params) {
  return onConnection([&](PgConnection& c) { return c.runAhead(sql, params); });
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

// --- professionals -------------------------------------------------------

Result<std::optional<Professional>> PgTransaction::findProfessional(std::string_view cf) {
  static const std::string q = withColumns(kProfessionalColumns, "WHERE codice_fiscale = $1");
  return one<Professional>(q, PgParams().add(cf), readProfessional<PgRow>);
}

Result<std::optional<Professional>> PgTransaction::professionalById(std::int64_t id) {
  static const std::string q = withColumns(kProfessionalColumns, "WHERE id = $1");
  return one<Professional>(q, PgParams().add(id), readProfessional<PgRow>);
}

Result<std::int64_t> PgTransaction::insertProfessional(const Professional& p, std::int64_t now) {
  return scalar(
      "INSERT INTO professionals (codice_fiscale, surname, name, pin_hash, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
      PgParams().add(p.codice_fiscale).add(p.surname).add(p.name).add(p.pin_hash).add(now));
}

Status PgTransaction::updateProfessionalNames(std::int64_t id,
                                              std::string_view surname,
                                              std::string_view name,
                                              std::int64_t now) {
  return exec("UPDATE professionals SET surname = $1, name = $2, updated_at = $3 WHERE id = $4",
              PgParams().add(surname).add(name).add(now).add(id));
}

Status PgTransaction::setProfessionalPin(std::int64_t id, std::string_view pin_hash) {
  return exec("UPDATE professionals SET pin_hash = $1 WHERE id = $2",
              PgParams().add(pin_hash).add(id));
}

Status PgTransaction::setPinReset(std::int64_t id, const PinResetWindow& w) {
  return exec(
      "UPDATE professionals SET pin_reset_until = $1, pin_reset_code = $2, pin_reset_wrong = $3 "
      "WHERE id = $4",
      PgParams().add(w.until).add(w.code_hash).add(w.wrong_codes).add(id));
}

Status PgTransaction::setLoginState(AccountKind kind, std::int64_t id, const LoginState& state) {
  return exec(kind == AccountKind::kProfessional
                  ? "UPDATE professionals SET failed_attempts = $1, locked_until = $2 WHERE id = $3"
                  : "UPDATE staff_users SET failed_attempts = $1, locked_until = $2 WHERE id = $3",
              PgParams().add(state.failed_attempts).add(state.locked_until).add(id));
}

Result<std::int64_t> PgTransaction::countLockedAccounts(std::int64_t now) {
  return scalar(
      "SELECT (SELECT count(*) FROM professionals WHERE locked_until > $1) + "
      "(SELECT count(*) FROM staff_users WHERE locked_until > $1)",
      PgParams().add(now));
}

// --- contacts ------------------------------------------------------------

Result<std::optional<ContactsVersion>> PgTransaction::contactsVersionById(std::int64_t id) {
  static const std::string q = withColumns(kContactsColumns, "WHERE id = $1");
  return one<ContactsVersion>(q, PgParams().add(id), readContacts<PgRow>);
}

Result<std::optional<ContactsVersion>> PgTransaction::currentContacts(
    std::int64_t professional_id) {
  static const std::string q =
      withColumns(kContactsColumns, "WHERE professional_id = $1 ORDER BY version DESC LIMIT 1");
  return one<ContactsVersion>(q, PgParams().add(professional_id), readContacts<PgRow>);
}

Result<ContactsVersion> PgTransaction::addContactsVersion(std::int64_t professional_id,
                                                          const Contacts& c,
                                                          ContactsSource source,
                                                          std::int64_t now) {
  auto r =
      run("INSERT INTO contact_versions (professional_id, version, pec, email, mobile, phone, fax, "
          "notify, source, created_at) VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM "
          "contact_versions WHERE professional_id = $1), $2, $3, $4, $5, $6, $7, $8, $9) "
          "RETURNING id, version",
          PgParams()
              .add(professional_id)
              .add(c.pec)
              .add(c.email)
              .add(c.mobile)
              .add(c.phone)
              .add(c.fax)
              .add(joinChannels(c.notify))
              .add(nameOf(source))
              .add(now));
  if (!r) return fail(r.error());
  ContactsVersion v;
  v.id = PgRow(*r, 0).int64(0);
  v.version = PgRow(*r, 0).integer(1);
  v.contacts = c;
  v.source = source;
  v.created_at = now;
  return v;
}

// --- staff ---------------------------------------------------------------

Result<std::optional<StaffUser>> PgTransaction::findStaff(std::string_view username) {
  static const std::string q = withColumns(kStaffColumns, "WHERE username = $1");
  return one<StaffUser>(q, PgParams().add(username), readStaff<PgRow>);
}

Result<std::optional<StaffUser>> PgTransaction::staffById(std::int64_t id) {
  static const std::string q = withColumns(kStaffColumns, "WHERE id = $1");
  return one<StaffUser>(q, PgParams().add(id), readStaff<PgRow>);
}

Result<std::int64_t> PgTransaction::upsertStaff(const StaffUser& u, std::int64_t now) {
  return scalar(
      "INSERT INTO staff_users (username, display_name, role, password_hash, created_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO UPDATE SET "
      "display_name = excluded.display_name, role = excluded.role, "
      "password_hash = excluded.password_hash, failed_attempts = 0, locked_until = 0 "
      "RETURNING id",
      PgParams()
          .add(u.username)
          .add(u.display_name)
          .add(domain::nameOf(u.role))
          .add(u.password_hash)
          .add(now));
}

// --- sessions ------------------------------------------------------------

Status PgTransaction::insertSession(const Session& s) {
  return exec(
      "INSERT INTO sessions (token_hash, role, subject_id, principal, display_name, "
      "csrf_token, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      PgParams()
          .add(s.token_hash)
          .add(domain::nameOf(s.role))
          .add(s.subject_id)
          .add(s.principal)
          .add(s.display_name)
          .add(s.csrf_token)
          .add(s.created_at)
          .add(s.last_seen));
}

Result<std::optional<Session>> PgTransaction::findSession(std::string_view token_hash) {
  static const std::string q = withColumns(kSessionColumns, "WHERE token_hash = $1");
  return one<Session>(q, PgParams().add(token_hash), readSession<PgRow>);
}

Status PgTransaction::touchSession(std::int64_t id, std::int64_t now) {
  return exec("UPDATE sessions SET last_seen = $1 WHERE id = $2", PgParams().add(now).add(id));
}

Status PgTransaction::deleteSession(std::int64_t id) {
  return exec("DELETE FROM sessions WHERE id = $1", PgParams().add(id));
}

Status PgTransaction::deleteSessionsOf(Role role, std::int64_t subject_id) {
  return exec("DELETE FROM sessions WHERE role = $1 AND subject_id = $2",
              PgParams().add(domain::nameOf(role)).add(subject_id));
}

Result<int> PgTransaction::deleteExpiredSessions(std::int64_t idle_before,
                                                 std::int64_t created_before) {
  auto r = run("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2",
               PgParams().add(idle_before).add(created_before));
  if (!r) return fail(r.error());
  return r->affected();
}

// --- audit ---------------------------------------------------------------

Status PgTransaction::appendAudit(const AuditEntry& e) {
  // The write lock taken at BEGIN serialises appends across kiosks: the head
  // read here is still the head when this transaction commits.
  auto head = auditHead();
  if (!head) return fail(head.error());
  const std::string prev = *head ? (*head)->hash : std::string(domain::kAuditGenesis);
  return exec(
      "INSERT INTO audit_log (at, actor, action, subject, detail, prev_hash, hash) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      PgParams().add(e.at).add(e.actor).add(e.action).add(e.subject).add(e.detail).add(prev).add(
          domain::auditHash(prev, e)));
}

Status PgTransaction::scanAudit(const AuditVisitor& visit) {
  // In pages by id: a long chain is never held in memory at once.
  std::int64_t after = 0;
  while (true) {
    auto r =
        run("SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit_log "
            "WHERE id > $1 ORDER BY id LIMIT 5000",
            PgParams().add(after));
    if (!r) return fail(r.error());
    if (r->rows() == 0) return {};
    for (int i = 0; i < r->rows(); ++i) {
      const PgRow q(*r, i);
      const AuditEntry e{q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)};
      after = q.int64(0);
      if (!visit(after, e, q.text(6), q.text(7))) return {};
    }
  }
}

Result<std::optional<domain::AuditHead>> PgTransaction::auditHead() {
  return one<domain::AuditHead>("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", {},
                                [](const PgRow& q) {
                                  return domain::AuditHead{q.int64(0), q.text(1)};
                                });
}

Status PgTransaction::appendAuditAnchor(const domain::AuditAnchor& a) {
  return exec(
      "INSERT INTO audit_anchors (at, kiosk_id, head_id, head_hash, signature, seq) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      PgParams()
          .add(a.at)
          .add(a.kiosk_id)
          .add(a.head.id)
          .add(a.head.hash)
          .add(a.signature)
          .add(a.seq));
}

Result<std::int64_t> PgTransaction::nextAnchorSeq(std::string_view kiosk_id) {
  return scalar(kNextAnchorSeqSql, PgParams().add(kiosk_id));
}

Result<std::vector<domain::AuditAnchor>> PgTransaction::auditAnchors() {
  static const std::string q = withColumns(kAnchorColumns, "ORDER BY id");
  return all<domain::AuditAnchor>(q, {}, readAnchor<PgRow>);
}

Result<std::optional<domain::AuditAnchor>> PgTransaction::lastAuditAnchor() {
  static const std::string q = withColumns(kAnchorColumns, "ORDER BY id DESC LIMIT 1");
  return one<domain::AuditAnchor>(q, {}, readAnchor<PgRow>);
}

Result<bool> PgTransaction::hasAuditAnchors(std::string_view kiosk_id) {
  auto n =
      scalar("SELECT count(*) FROM (SELECT 1 FROM audit_anchors WHERE kiosk_id = $1 LIMIT 1) a",
             PgParams().add(kiosk_id));
  if (!n) return fail(n.error());
  return *n != 0;
}

// --- the fleet -----------------------------------------------------------

Status PgTransaction::publishReceiptKey(const domain::PublishedKey& k) {
  return exec(kPublishKeySql,
              PgParams().add(k.key_id).add(k.kiosk_id).add(k.public_key).add(k.published_at));
}

Result<std::vector<domain::PublishedKey>> PgTransaction::receiptKeys() {
  return all<domain::PublishedKey>(kReceiptKeysSql, {}, readPublishedKey<PgRow>);
}

Status PgTransaction::recordHeartbeat(const domain::KioskStatus& k) {
  return exec(kHeartbeatSql, PgParams()
                                 .add(k.kiosk_id)
                                 .add(k.branch_code)
                                 .add(k.branch_name)
                                 .add(k.version)
                                 .add(k.started_at)
                                 .add(k.last_seen)
                                 .add(k.head.id)
                                 .add(k.head.hash)
                                 .add(k.devices)
                                 .add(k.outbox_pending)
                                 .add(k.outbox_failed));
}

Status PgTransaction::recordSelftest(std::string_view kiosk_id,
                                     std::int64_t at,
                                     bool ok,
                                     std::string_view summary) {
  return exec(kSelftestSql, PgParams().add(kiosk_id).add(at).add(ok ? 1 : 0).add(summary));
}

Result<std::vector<domain::KioskStatus>> PgTransaction::listKiosks() {
  static const std::string q = withColumns(kKioskColumns, "ORDER BY kiosk_id");
  return all<domain::KioskStatus>(q, {}, readKiosk<PgRow>);
}

}  // namespace kiosk::storage
