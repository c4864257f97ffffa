// SqliteTransaction: accounts, contacts, staff, sessions and the audit log.
#include "storage/sqlite/sqlite_internal.h"

namespace kiosk::storage {

SqliteTransaction::~SqliteTransaction() {
  if (!done_) {
    (void)conn_->exec("ROLLBACK");
  }
  if (files_in_cache_) sqlite3_db_release_memory(conn_->db());
  store_.release(std::move(conn_));
}

Status SqliteTransaction::commit() {
  if (auto st = conn_->exec("COMMIT"); !st) return st;
  done_ = true;
  return {};
}

Result<Query> SqliteTransaction::query(const char* sql) {
  auto stmt = conn_->prepare(sql);
  if (!stmt) return fail(stmt.error());
  return Result<Query>(std::in_place, *conn_, *stmt);
}

Result<std::optional<Professional>> SqliteTransaction::findProfessional(std::string_view cf) {
  static const std::string sql = std::string(kProfessionalColumns) + "WHERE codice_fiscale = ?";
  return one<Professional>(sql.c_str(), cf, readProfessional<Query>);
}

Result<std::optional<Professional>> SqliteTransaction::professionalById(std::int64_t id) {
  static const std::string sql = std::string(kProfessionalColumns) + "WHERE id = ?";
  return one<Professional>(sql.c_str(), id, readProfessional<Query>);
}

Result<std::int64_t> SqliteTransaction::insertProfessional(const Professional& p,
                                                           std::int64_t now) {
  auto q = query(
      "INSERT INTO professionals (codice_fiscale, surname, name, pin_hash, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  q->bind(p.codice_fiscale).bind(p.surname).bind(p.name).bind(p.pin_hash).bind(now).bind(now);
  if (auto st = q->run(); !st) return fail(st.error());
  return sqlite3_last_insert_rowid(conn_->db());
}

Status SqliteTransaction::updateProfessionalNames(std::int64_t id,
                                                  std::string_view surname,
                                                  std::string_view name,
                                                  std::int64_t now) {
  // The staff's search index knows the threads by the new surname: each row
  // is taken out with the text it was indexed with, and put back.
  auto out = query(
      "INSERT INTO communications_words (communications_words, rowid, words) "
      "SELECT 'delete', id, words FROM communications_words_text WHERE professional_id = ?");
  if (!out) return fail(out.error());
  if (auto st = out->bind(id).run(); !st) return st;
  auto q = query("UPDATE professionals SET surname = ?, name = ?, updated_at = ? WHERE id = ?");
  if (!q) return fail(q.error());
  if (auto st = q->bind(surname).bind(name).bind(now).bind(id).run(); !st) return st;
  auto in = query(
      "INSERT INTO communications_words (rowid, words) "
      "SELECT id, words FROM communications_words_text WHERE professional_id = ?");
  if (!in) return fail(in.error());
  return in->bind(id).run();
}

Status SqliteTransaction::setProfessionalPin(std::int64_t id, std::string_view pin_hash) {
  auto q = query("UPDATE professionals SET pin_hash = ? WHERE id = ?");
  if (!q) return fail(q.error());
  return q->bind(pin_hash).bind(id).run();
}

Status SqliteTransaction::setPinReset(std::int64_t id, const PinResetWindow& w) {
  auto q = query(
      "UPDATE professionals SET pin_reset_until = ?, pin_reset_code = ?, pin_reset_wrong = ? "
      "WHERE id = ?");
  if (!q) return fail(q.error());
  return q->bind(w.until).bind(w.code_hash).bind(w.wrong_codes).bind(id).run();
}

Status SqliteTransaction::setLoginState(AccountKind kind,
                                        std::int64_t id,
                                        const LoginState& state) {
  auto q = query(kind == AccountKind::kProfessional
                     ? "UPDATE professionals SET failed_attempts = ?, locked_until = ? "
                       "WHERE id = ?"
                     : "UPDATE staff_users SET failed_attempts = ?, locked_until = ? "
                       "WHERE id = ?");
  if (!q) return fail(q.error());
  return q->bind(state.failed_attempts).bind(state.locked_until).bind(id).run();
}

Result<std::int64_t> SqliteTransaction::countLockedAccounts(std::int64_t now) {
  auto q = query(
      "SELECT (SELECT count(*) FROM professionals WHERE locked_until > ?1) + "
      "(SELECT count(*) FROM staff_users WHERE locked_until > ?1)");
  if (!q) return fail(q.error());
  q->bind(now);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Result<std::optional<ContactsVersion>> SqliteTransaction::contactsVersionById(std::int64_t id) {
  static const std::string sql = std::string(kContactsColumns) + "WHERE id = ?";
  return one<ContactsVersion>(sql.c_str(), id, readContacts<Query>);
}

Result<std::optional<ContactsVersion>> SqliteTransaction::currentContacts(
    std::int64_t professional_id) {
  static const std::string sql =
      std::string(kContactsColumns) + "WHERE professional_id = ? ORDER BY version DESC LIMIT 1";
  return one<ContactsVersion>(sql.c_str(), professional_id, readContacts<Query>);
}

Result<ContactsVersion> SqliteTransaction::addContactsVersion(std::int64_t professional_id,
                                                              const Contacts& c,
                                                              ContactsSource source,
                                                              std::int64_t now) {
  auto q = query(
      "INSERT INTO contact_versions (professional_id, version, pec, email, mobile, phone, fax, "
      "notify, source, created_at) VALUES (?1, (SELECT coalesce(max(version), 0) + 1 FROM "
      "contact_versions WHERE professional_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "RETURNING id, version");
  if (!q) return fail(q.error());
  q->bind(professional_id)
      .bind(c.pec)
      .bind(c.email)
      .bind(c.mobile)
      .bind(c.phone)
      .bind(c.fax)
      .bind(joinChannels(c.notify))
      .bind(nameOf(source))
      .bind(now);
  auto row = q->step();
  if (!row) return fail(row.error());
  ContactsVersion v;
  v.id = q->int64(0);
  v.version = q->integer(1);
  v.contacts = c;
  v.source = source;
  v.created_at = now;
  return v;
}

Result<std::optional<StaffUser>> SqliteTransaction::findStaff(std::string_view username) {
  static const std::string sql = std::string(kStaffColumns) + "WHERE username = ?";
  return one<StaffUser>(sql.c_str(), username, readStaff<Query>);
}

Result<std::optional<StaffUser>> SqliteTransaction::staffById(std::int64_t id) {
  static const std::string sql = std::string(kStaffColumns) + "WHERE id = ?";
  return one<StaffUser>(sql.c_str(), id, readStaff<Query>);
}

Result<std::int64_t> SqliteTransaction::upsertStaff(const StaffUser& u, std::int64_t now) {
  auto q = query(
      "INSERT INTO staff_users (username, display_name, role, password_hash, created_at) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
      "display_name = excluded.display_name, role = excluded.role, "
      "password_hash = excluded.password_hash, failed_attempts = 0, locked_until = 0 "
      "RETURNING id");
  if (!q) return fail(q.error());
  q->bind(u.username)
      .bind(u.display_name)
      .bind(domain::nameOf(u.role))
      .bind(u.password_hash)
      .bind(now);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Status SqliteTransaction::insertSession(const Session& s) {
  auto q = query(
      "INSERT INTO sessions (token_hash, role, subject_id, principal, display_name, "
      "csrf_token, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  return q->bind(s.token_hash)
      .bind(domain::nameOf(s.role))
      .bind(s.subject_id)
      .bind(s.principal)
      .bind(s.display_name)
      .bind(s.csrf_token)
      .bind(s.created_at)
      .bind(s.last_seen)
      .run();
}

Result<std::optional<Session>> SqliteTransaction::findSession(std::string_view token_hash) {
  static const std::string sql = std::string(kSessionColumns) + "WHERE token_hash = ?";
  return one<Session>(sql.c_str(), token_hash, readSession<Query>);
}

Status SqliteTransaction::touchSession(std::int64_t id, std::int64_t now) {
  auto q = query("UPDATE sessions SET last_seen = ? WHERE id = ?");
  if (!q) return fail(q.error());
  return q->bind(now).bind(id).run();
}

Status SqliteTransaction::deleteSession(std::int64_t id) {
  auto q = query("DELETE FROM sessions WHERE id = ?");
  if (!q) return fail(q.error());
  return q->bind(id).run();
}

Status SqliteTransaction::deleteSessionsOf(Role role, std::int64_t subject_id) {
  auto q = query("DELETE FROM sessions WHERE role = ? AND subject_id = ?");
  if (!q) return fail(q.error());
  return q->bind(domain::nameOf(role)).bind(subject_id).run();
}

Result<int> SqliteTransaction::deleteExpiredSessions(std::int64_t idle_before,
                                                     std::int64_t created_before) {
  auto q = query("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?");
  if (!q) return fail(q.error());
  if (auto st = q->bind(idle_before).bind(created_before).run(); !st) return fail(st.error());
  return sqlite3_changes(conn_->db());
}

Result<std::optional<domain::AuditHead>> SqliteTransaction::auditHead() {
  auto q = query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
  if (!q) return fail(q.error());
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<domain::AuditHead>();
  return std::optional<domain::AuditHead>(domain::AuditHead{q->int64(0), q->text(1)});
}

Status SqliteTransaction::appendAuditAnchor(const domain::AuditAnchor& a) {
  auto q = query(
      "INSERT INTO audit_anchors (at, kiosk_id, head_id, head_hash, signature, seq) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  return q->bind(a.at)
      .bind(a.kiosk_id)
      .bind(a.head.id)
      .bind(a.head.hash)
      .bind(a.signature)
      .bind(a.seq)
      .run();
}

Result<std::int64_t> SqliteTransaction::nextAnchorSeq(std::string_view kiosk_id) {
  auto q = query(kNextAnchorSeqSql);
  if (!q) return fail(q.error());
  q->bind(kiosk_id);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Result<std::optional<domain::AuditAnchor>> SqliteTransaction::lastAuditAnchor() {
  static const std::string sql = std::string(kAnchorColumns) + "ORDER BY id DESC LIMIT 1";
  auto q = query(sql.c_str());
  if (!q) return fail(q.error());
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<domain::AuditAnchor>();
  return std::optional<domain::AuditAnchor>(readAnchor(*q));
}

Result<bool> SqliteTransaction::hasAuditAnchors(std::string_view kiosk_id) {
  auto q = query("SELECT EXISTS (SELECT 1 FROM audit_anchors WHERE kiosk_id = ?)");
  if (!q) return fail(q.error());
  q->bind(kiosk_id);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->integer(0) != 0;
}

Status SqliteTransaction::publishReceiptKey(const domain::PublishedKey& k) {
  auto q = query(kPublishKeySql);
  if (!q) return fail(q.error());
  return q->bind(k.key_id).bind(k.kiosk_id).bind(k.public_key).bind(k.published_at).run();
}

Result<std::vector<domain::PublishedKey>> SqliteTransaction::receiptKeys() {
  return all<domain::PublishedKey>(kReceiptKeysSql, readPublishedKey<Query>);
}

Status SqliteTransaction::recordHeartbeat(const domain::KioskStatus& k) {
  auto q = query(kHeartbeatSql);
  if (!q) return fail(q.error());
  return q->bind(k.kiosk_id)
      .bind(k.branch_code)
      .bind(k.branch_name)
      .bind(k.version)
      .bind(k.started_at)
      .bind(k.last_seen)
      .bind(k.head.id)
      .bind(k.head.hash)
      .bind(k.devices)
      .bind(k.outbox_pending)
      .bind(k.outbox_failed)
      .run();
}

Status SqliteTransaction::recordSelftest(std::string_view kiosk_id,
                                         std::int64_t at,
                                         bool ok,
                                         std::string_view summary) {
  auto q = query(kSelftestSql);
  if (!q) return fail(q.error());
  return q->bind(kiosk_id).bind(at).bind(ok ? 1 : 0).bind(summary).run();
}

Result<std::vector<domain::KioskStatus>> SqliteTransaction::listKiosks() {
  static const std::string sql = std::string(kKioskColumns) + "ORDER BY kiosk_id";
  return all<domain::KioskStatus>(sql.c_str(), readKiosk<Query>);
}

Result<std::vector<domain::AuditAnchor>> SqliteTransaction::auditAnchors() {
  static const std::string sql = std::string(kAnchorColumns) + "ORDER BY id";
  return all<domain::AuditAnchor>(sql.c_str(), readAnchor<Query>);
}

Status SqliteTransaction::appendAudit(const AuditEntry& e) {
  std::string prev = domain::kAuditGenesis;
  {
    auto last = query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (!last) return fail(last.error());
    auto row = last->step();
    if (!row) return fail(row.error());
    if (*row) prev = last->text(0);
  }
  auto q = query(
      "INSERT INTO audit_log (at, actor, action, subject, detail, prev_hash, hash) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  return q->bind(e.at)
      .bind(e.actor)
      .bind(e.action)
      .bind(e.subject)
      .bind(e.detail)
      .bind(prev)
      .bind(domain::auditHash(prev, e))
      .run();
}

Status SqliteTransaction::scanAudit(const AuditVisitor& visit) {
  auto q = query(
      "SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit_log "
      "ORDER BY id");
  if (!q) return fail(q.error());
  return q->each([&](Query& row) {
    const AuditEntry e{row.int64(1), row.text(2), row.text(3), row.text(4), row.text(5)};
    return visit(row.int64(0), e, row.text(6), row.text(7));
  });
}

}  // namespace kiosk::storage
