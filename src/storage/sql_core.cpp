// SqlCore: the Transaction methods both engines share, in one SQL
// ($n placeholders); see sql_core.h. The row readers and column lists are
// storage/rows.h's.
#include "storage/sql_core.h"

#include "domain/audit.h"
#include "storage/rows.h"

namespace kiosk::storage {

template <typename T>
Result<std::optional<T>> SqlCore::oneWhere(const char* rest, const SqlParams& params) {
  return one<T>(selectOf<T>() + rest, params, readRow<T, SqlRow>);
}

template <typename T>
Result<std::vector<T>> SqlCore::allWhere(const char* rest, const SqlParams& params) {
  return all<T>(selectOf<T>() + rest, params, readRow<T, SqlRow>);
}

Result<std::int64_t> SqlCore::scalar(const std::string& sql, const SqlParams& params) {
  auto v = one<std::int64_t>(sql, params, [](const SqlRow& row) { return row.int64(0); });
  if (!v) return fail(v.error());
  if (!*v) return fail(Error::internal("no row: " + sql.substr(0, 60)));
  return **v;
}

// --- a row by its key ----------------------------------------------------

template <typename T, typename Key>
Result<std::optional<T>> SqlCore::byKey(const char* where, Key key) {
  return oneWhere<T>(where, SqlParams().add(key));
}

namespace {
using OptPro = Result<std::optional<Professional>>;
using OptStaff = Result<std::optional<StaffUser>>;
using OptCv = Result<std::optional<ContactsVersion>>;
constexpr const char* kById = "WHERE id = $1";
constexpr const char* kByCf = "WHERE codice_fiscale = $1";
constexpr const char* kByUser = "WHERE username = $1";
}  // namespace

OptPro SqlCore::findProfessional(std::string_view cf) { return byKey<Professional>(kByCf, cf); }
OptPro SqlCore::professionalById(std::int64_t id) { return byKey<Professional>(kById, id); }
OptStaff SqlCore::findStaff(std::string_view user) { return byKey<StaffUser>(kByUser, user); }
OptStaff SqlCore::staffById(std::int64_t id) { return byKey<StaffUser>(kById, id); }
OptCv SqlCore::contactsVersionById(std::int64_t id) { return byKey<ContactsVersion>(kById, id); }

// --- professionals -------------------------------------------------------

Result<std::int64_t> SqlCore::insertProfessional(const Professional& p, std::int64_t now) {
  return scalar(
      "INSERT INTO professionals (codice_fiscale, surname, name, pin_hash, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
      SqlParams().add(p.codice_fiscale).add(p.surname).add(p.name).add(p.pin_hash).add(now));
}

Status SqlCore::updateProfessionalNames(std::int64_t id,
                                        std::string_view surname,
                                        std::string_view name,
                                        std::int64_t now) {
  if (auto st = beforeNamesChange(id); !st) return st;
  if (auto st =
          exec("UPDATE professionals SET surname = $1, name = $2, updated_at = $3 WHERE id = $4",
               SqlParams().add(surname).add(name).add(now).add(id));
      !st) {
    return st;
  }
  return afterNamesChange(id);
}

Status SqlCore::setProfessionalPin(std::int64_t id, std::string_view pin_hash) {
  return exec("UPDATE professionals SET pin_hash = $1 WHERE id = $2",
              SqlParams().add(pin_hash).add(id));
}

Status SqlCore::setPinReset(std::int64_t id, const PinResetWindow& w) {
  return exec(
      "UPDATE professionals SET pin_reset_until = $1, pin_reset_code = $2, pin_reset_wrong = $3 "
      "WHERE id = $4",
      SqlParams().add(w.until).add(w.code_hash).add(w.wrong_codes).add(id));
}

Status SqlCore::setLoginState(AccountKind kind, std::int64_t id, const LoginState& state) {
  return exec(kind == AccountKind::kProfessional
                  ? "UPDATE professionals SET failed_attempts = $1, locked_until = $2 WHERE id = $3"
                  : "UPDATE staff_users SET failed_attempts = $1, locked_until = $2 WHERE id = $3",
              SqlParams().add(state.failed_attempts).add(state.locked_until).add(id));
}

Result<std::int64_t> SqlCore::countLockedAccounts(std::int64_t now) {
  return scalar(
      "SELECT (SELECT count(*) FROM professionals WHERE locked_until > $1) + "
      "(SELECT count(*) FROM staff_users WHERE locked_until > $1)",
      SqlParams().add(now));
}

// --- contacts ------------------------------------------------------------

Result<std::optional<ContactsVersion>> SqlCore::currentContacts(std::int64_t professional_id) {
  return oneWhere<ContactsVersion>("WHERE professional_id = $1 ORDER BY version DESC LIMIT 1",
                                   SqlParams().add(professional_id));
}

Result<ContactsVersion> SqlCore::addContactsVersion(std::int64_t professional_id,
                                                    const Contacts& c,
                                                    ContactsSource source,
                                                    std::int64_t now) {
  auto made = one<ContactsVersion>(
      "INSERT INTO contact_versions (professional_id, version, pec, email, mobile, phone, fax, "
      "notify, source, created_at) VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM "
      "contact_versions WHERE professional_id = $1), $2, $3, $4, $5, $6, $7, $8, $9) "
      "RETURNING id, version",
      SqlParams()
          .add(professional_id)
          .add(c.pec)
          .add(c.email)
          .add(c.mobile)
          .add(c.phone)
          .add(c.fax)
          .add(joinChannels(c.notify))
          .add(nameOf(source))
          .add(now),
      [&](const SqlRow& row) {
        ContactsVersion v;
        v.id = row.int64(0);
        v.version = row.integer(1);
        v.contacts = c;
        v.source = source;
        v.created_at = now;
        return v;
      });
  if (!made) return fail(made.error());
  if (!*made) return fail(Error::internal("contact_versions: no row returned"));
  return **made;
}

// --- staff ---------------------------------------------------------------

Result<std::int64_t> SqlCore::upsertStaff(const StaffUser& u, std::int64_t now) {
  return scalar(
      "INSERT INTO staff_users (username, display_name, role, password_hash, created_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO UPDATE SET "
      "display_name = excluded.display_name, role = excluded.role, "
      "password_hash = excluded.password_hash, failed_attempts = 0, locked_until = 0 "
      "RETURNING id",
      SqlParams()
          .add(u.username)
          .add(u.display_name)
          .add(domain::nameOf(u.role))
          .add(u.password_hash)
          .add(now));
}

// --- sessions ------------------------------------------------------------

Status SqlCore::insertSession(const Session& s) {
  return exec(
      "INSERT INTO sessions (token_hash, role, subject_id, principal, display_name, "
      "csrf_token, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      SqlParams()
          .add(s.token_hash)
          .add(domain::nameOf(s.role))
          .add(s.subject_id)
          .add(s.principal)
          .add(s.display_name)
          .add(s.csrf_token)
          .add(s.created_at)
          .add(s.last_seen));
}

Result<std::optional<Session>> SqlCore::findSession(std::string_view token_hash) {
  return oneWhere<Session>("WHERE token_hash = $1", SqlParams().add(token_hash));
}

Status SqlCore::touchSession(std::int64_t id, std::int64_t now) {
  return exec("UPDATE sessions SET last_seen = $1 WHERE id = $2", SqlParams().add(now).add(id));
}

Status SqlCore::deleteSession(std::int64_t id) {
  return exec("DELETE FROM sessions WHERE id = $1", SqlParams().add(id));
}

Status SqlCore::deleteSessionsOf(Role role, std::int64_t subject_id) {
  return exec("DELETE FROM sessions WHERE role = $1 AND subject_id = $2",
              SqlParams().add(domain::nameOf(role)).add(subject_id));
}

Result<int> SqlCore::deleteExpiredSessions(std::int64_t idle_before, std::int64_t created_before) {
  auto n = change("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2",
                  SqlParams().add(idle_before).add(created_before));
  if (!n) return fail(n.error());
  return static_cast<int>(*n);
}

// --- audit ---------------------------------------------------------------

Status SqlCore::appendAudit(const AuditEntry& e) {
  // The write lock (taken at BEGIN, or here at the latest) serialises appends
  // across kiosks: the head read here is still the head at commit.
  if (auto st = serialize(); !st) return st;
  auto head = auditHead();
  if (!head) return fail(head.error());
  const std::string prev = *head ? (*head)->hash : std::string(domain::kAuditGenesis);
  return exec(
      "INSERT INTO audit_log (at, actor, action, subject, detail, prev_hash, hash) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      SqlParams().add(e.at).add(e.actor).add(e.action).add(e.subject).add(e.detail).add(prev).add(
          domain::auditHash(prev, e)));
}

Status SqlCore::scanAudit(const AuditVisitor& visit) {
  // In pages by id: a long chain is never held in memory at once.
  std::int64_t after = 0;
  while (true) {
    int rows = 0;
    bool stopped = false;
    auto st = each(
        "SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit_log "
        "WHERE id > $1 ORDER BY id LIMIT 5000",
        SqlParams().add(after), [&](const SqlRow& q) {
          ++rows;
          const AuditEntry e{q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5)};
          after = q.int64(0);
          stopped = !visit(after, e, q.text(6), q.text(7));
          return !stopped;
        });
    if (!st) return st;
    if (rows == 0 || stopped) return {};
  }
}

Result<std::optional<domain::AuditHead>> SqlCore::auditHead() {
  return one<domain::AuditHead>("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                                SqlParams(), [](const SqlRow& q) {
                                  return domain::AuditHead{q.int64(0), q.text(1)};
                                });
}

Status SqlCore::appendAuditAnchor(const domain::AuditAnchor& a) {
  return exec(
      "INSERT INTO audit_anchors (at, kiosk_id, head_id, head_hash, signature, seq) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      SqlParams()
          .add(a.at)
          .add(a.kiosk_id)
          .add(a.head.id)
          .add(a.head.hash)
          .add(a.signature)
          .add(a.seq));
}

Result<std::int64_t> SqlCore::nextAnchorSeq(std::string_view kiosk_id) {
  return scalar(kNextAnchorSeqSql, SqlParams().add(kiosk_id));
}

Result<std::vector<domain::AuditAnchor>> SqlCore::auditAnchors() {
  return allWhere<domain::AuditAnchor>("ORDER BY id", SqlParams());
}

Result<std::optional<domain::AuditAnchor>> SqlCore::lastAuditAnchor() {
  return oneWhere<domain::AuditAnchor>("ORDER BY id DESC LIMIT 1", SqlParams());
}

Result<bool> SqlCore::hasAuditAnchors(std::string_view kiosk_id) {
  auto n =
      scalar("SELECT count(*) FROM (SELECT 1 FROM audit_anchors WHERE kiosk_id = $1 LIMIT 1) a",
             SqlParams().add(kiosk_id));
  if (!n) return fail(n.error());
  return *n != 0;
}

// --- the fleet -----------------------------------------------------------

Status SqlCore::publishReceiptKey(const domain::PublishedKey& k) {
  return exec(kPublishKeySql,
              SqlParams().add(k.key_id).add(k.kiosk_id).add(k.public_key).add(k.published_at));
}

Result<std::vector<domain::PublishedKey>> SqlCore::receiptKeys() {
  return allWhere<domain::PublishedKey>("ORDER BY published_at, key_id", SqlParams());
}

Status SqlCore::recordHeartbeat(const domain::KioskStatus& k) {
  return exec(kHeartbeatSql, SqlParams()
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

Status SqlCore::recordSelftest(std::string_view kiosk_id,
                               std::int64_t at,
                               bool ok,
                               std::string_view summary) {
  return exec(kSelftestSql, SqlParams().add(kiosk_id).add(at).add(ok ? 1 : 0).add(summary));
}

Result<std::vector<domain::KioskStatus>> SqlCore::listKiosks() {
  return allWhere<domain::KioskStatus>("ORDER BY kiosk_id", SqlParams());
}

// --- communications, messages, attachments ------------------------------

Result<std::int64_t> SqlCore::nextProtocolNumber(int year) {
  // A counter row in the send's own transaction (not a SEQUENCE): a send that
  // fails gives its number back, so numbers have no gaps across the fleet.
  if (auto st = serialize(); !st) return fail(st.error());
  return scalar(
      "INSERT INTO protocol_counters (year, last) VALUES ($1, 1) "
      "ON CONFLICT (year) DO UPDATE SET last = protocol_counters.last + 1 RETURNING last",
      SqlParams().add(year));
}

Result<std::optional<std::int64_t>> SqlCore::findIdempotencyKey(std::int64_t professional_id,
                                                                std::string_view key) {
  return one<std::int64_t>(
      "SELECT communication_id FROM idempotency_keys WHERE professional_id = $1 AND key = $2",
      SqlParams().add(professional_id).add(key), [](const SqlRow& q) { return q.int64(0); });
}

Status SqlCore::saveIdempotencyKey(std::int64_t professional_id,
                                   std::string_view key,
                                   std::int64_t communication_id,
                                   std::int64_t now) {
  return exec(
      "INSERT INTO idempotency_keys (professional_id, key, communication_id, created_at) "
      "VALUES ($1, $2, $3, $4)",
      SqlParams().add(professional_id).add(key).add(communication_id).add(now));
}

Result<std::int64_t> SqlCore::insertCommunication(const Communication& c) {
  auto id = scalar(
      "INSERT INTO communications (protocol, professional_id, box, topic, subject, status, "
      "outcome, contacts_version_id, extra_email, unread, assigned_staff_id, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
      SqlParams()
          .add(c.protocol)
          .add(c.professional_id)
          .add(nameOf(c.box))
          .add(c.topic)
          .add(c.subject)
          .add(nameOf(c.status))
          .add(c.outcome)
          .addId(c.contacts_version_id)
          .add(c.extra_email)
          .add(c.unread ? 1 : 0)
          .addId(c.assigned_staff_id)
          .add(c.created_at)
          .add(c.updated_at));
  if (!id) return id;
  if (auto st = afterCommunicationInsert(*id); !st) return fail(st.error());
  return id;
}

Result<std::int64_t> SqlCore::insertMessage(const Message& m) {
  return scalar(
      "INSERT INTO messages (communication_id, author, staff_id, body, created_at) "
      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
      SqlParams()
          .add(m.communication_id)
          .add(nameOf(m.author))
          .addId(m.staff_id)
          .add(m.body)
          .add(m.created_at));
}

Status SqlCore::stageAttachments(std::span<const domain::NewAttachment> files) {
  for (const auto& a : files) staged_.push_back(&a);
  return {};
}

Result<std::vector<std::int64_t>> SqlCore::insertStagedAttachments(std::int64_t message_id) {
  std::vector<std::int64_t> ids;
  for (const NewAttachment* a : std::exchange(staged_, {})) {
    auto id = insertAttachment(message_id, *a);
    if (!id) return fail(id.error());
    ids.push_back(*id);
  }
  return ids;
}

Result<std::int64_t> SqlCore::insertAttachment(std::int64_t message_id, const NewAttachment& a) {
  filesTouched();
  return scalar(
      "INSERT INTO attachments (message_id, filename, content_type, size, sha256, content) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      SqlParams()
          .addId(message_id)  // 0: staged, its message to come (PostgreSQL)
          .add(a.filename)
          .add(a.content_type)
          .add(static_cast<std::int64_t>(a.data.size()))
          .add(a.sha256)
          .addBytes(a.data));
}

Result<std::optional<Communication>> SqlCore::communicationById(std::int64_t id) {
  return oneWhere<Communication>("WHERE c.id = $1", SqlParams().add(id));
}

Result<std::optional<Communication>> SqlCore::communicationByProtocol(std::string_view protocol) {
  return oneWhere<Communication>("WHERE c.protocol = $1", SqlParams().add(protocol));
}

Result<std::vector<Message>> SqlCore::messagesOf(std::int64_t communication_id) {
  auto out = allWhere<Message>("WHERE communication_id = $1 ORDER BY id",
                               SqlParams().add(communication_id));
  if (!out) return fail(out.error());
  for (auto& m : *out) m.communication_id = communication_id;
  auto st = each(
      "SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256 "
      "FROM attachments a JOIN messages m ON m.id = a.message_id "
      "WHERE m.communication_id = $1 ORDER BY a.id",
      SqlParams().add(communication_id), [&](const SqlRow& q) {
        const std::int64_t message_id = q.int64(1);
        for (auto& m : *out) {
          if (m.id == message_id) {
            m.attachments.push_back({q.int64(0), q.text(2), q.text(3), q.int64(4), q.text(5)});
          }
        }
        return true;
      });
  if (!st) return fail(st.error());
  return out;
}

Result<std::int64_t> SqlCore::listVersion(std::int64_t professional_id) {
  return scalar("SELECT list_version FROM professionals WHERE id = $1",
                SqlParams().add(professional_id));
}

Result<std::int64_t> SqlCore::queueVersion() {
  // The sum of the slots' rows (migration 014).
  return scalar("SELECT CAST(coalesce(sum(version), 0) AS BIGINT) FROM queue_versions",
                SqlParams());
}

Status SqlCore::markRead(std::int64_t communication_id) {
  return exec("UPDATE communications SET unread = 0 WHERE id = $1 AND unread <> 0",
              SqlParams().add(communication_id));
}

Status SqlCore::updateCommunication(const Communication& c) {
  return exec(
      "UPDATE communications SET status = $1, outcome = $2, unread = $3, "
      "assigned_staff_id = $4, updated_at = $5 WHERE id = $6",
      SqlParams()
          .add(nameOf(c.status))
          .add(c.outcome)
          .add(c.unread ? 1 : 0)
          .addId(c.assigned_staff_id)
          .add(c.updated_at)
          .add(c.id));
}

Result<std::int64_t> SqlCore::unreadCount(std::int64_t professional_id) {
  return scalar("SELECT count(*) FROM communications WHERE professional_id = $1 AND unread = 1",
                SqlParams().add(professional_id));
}

Result<std::vector<domain::SentSize>> SqlCore::professionalSends(std::int64_t professional_id,
                                                                 std::int64_t since) {
  return all<domain::SentSize>(
      "SELECT m.created_at, (SELECT coalesce(sum(a.size), 0) FROM attachments a "
      "WHERE a.message_id = m.id) FROM communications c JOIN messages m "
      "ON m.communication_id = c.id WHERE c.professional_id = $1 AND m.author = 'professional' "
      "AND m.created_at >= $2 ORDER BY m.created_at, m.id",
      SqlParams().add(professional_id).add(since), [](const SqlRow& row) {
        return domain::SentSize{row.int64(0), row.int64(1)};
      });
}

// --- the outbox ------------------------------------------------------------

Status SqlCore::insertOutboxRows(std::span<const OutboxRow> rows) {
  if (rows.empty()) return {};
  std::string sql =
      "INSERT INTO outbox (communication_id, event, channel, recipient, next_attempt_at, "
      "created_at, message_id) VALUES ";
  SqlParams params;
  for (const OutboxRow& r : rows) {
    const std::size_t n = params.values().size();
    auto mark = [n](int i) { return "$" + std::to_string(n + i); };
    sql += (n ? ", (" : "(") + mark(1) + ", " + mark(2) + ", " + mark(3) + ", " + mark(4) + ", " +
           mark(5) + ", " + mark(5) + ", " + mark(6) + ")";  // due at once: next attempt = created
    params.add(r.communication_id).add(nameOf(r.event)).add(nameOf(r.channel)).add(r.recipient);
    params.add(r.created_at).addId(r.message_id);
  }
  return exec(sql, params);
}

Result<std::int64_t> SqlCore::lastOutboxAt(std::int64_t communication_id,
                                           domain::NotifyEvent event) {
  return scalar(
      "SELECT coalesce(max(created_at), 0) FROM outbox WHERE communication_id = $1 AND event = $2",
      SqlParams().add(communication_id).add(nameOf(event)));
}

// Marks only a row this kiosk still holds: its lease (next_attempt_at) is the
// one it claimed the row with.
Result<bool> SqlCore::markOutboxSent(std::int64_t id, std::int64_t lease_until, std::int64_t now) {
  auto n = change(
      "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, in_flight = 0 "
      "WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
      SqlParams().add(now).add(id).add(lease_until));
  if (!n) return fail(n.error());
  return *n == 1;
}

Result<bool> SqlCore::markOutboxAttempt(std::int64_t id,
                                        std::int64_t lease_until,
                                        int attempts,
                                        std::int64_t next_attempt_at,
                                        const std::string& error,
                                        bool failed) {
  auto n = change(
      "UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3, status = $4, "
      "in_flight = 0 WHERE id = $5 AND status = 'pending' AND next_attempt_at = $6",
      SqlParams()
          .add(attempts)
          .add(next_attempt_at)
          .add(error)
          .add(std::string_view(failed ? "failed" : "pending"))
          .add(id)
          .add(lease_until));
  if (!n) return fail(n.error());
  return *n == 1;
}

Result<std::vector<OutboxItem>> SqlCore::listOutbox(std::optional<OutboxStatus> status, int limit) {
  SqlParams p;
  p.add(limit);
  if (status) p.add(nameOf(*status));
  return allWhere<OutboxItem>(
      status ? "WHERE o.status = $2 ORDER BY o.id DESC LIMIT $1" : "ORDER BY o.id DESC LIMIT $1",
      p);
}

Result<std::int64_t> SqlCore::countOutbox(OutboxStatus status, std::optional<Channel> channel) {
  const std::string_view only = channel ? nameOf(*channel) : std::string_view("");
  return scalar("SELECT count(*) FROM outbox WHERE status = $1 AND ($2 = '' OR channel = $2)",
                SqlParams().add(nameOf(status)).add(only));
}

Result<int> SqlCore::retryOutbox(std::int64_t id, std::int64_t now) {
  auto n = change(
      "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, "
      "in_flight = 0 WHERE status = 'failed' AND (CAST($2 AS bigint) = 0 OR id = CAST($2 AS "
      "bigint))",
      SqlParams().add(now).add(id));
  if (!n) return fail(n.error());
  return static_cast<int>(*n);
}

// --- the schema, for both stores ------------------------------------------

Result<int> SqlCore::schemaVersion() {
  auto v = scalar("SELECT coalesce(max(version), 0) FROM schema_migrations", SqlParams());
  if (!v) return fail(v.error());
  return static_cast<int>(*v);
}

Status SqlCore::rewriteNewestMigration() {
  return exec(
      "UPDATE schema_migrations SET applied_at = applied_at "
      "WHERE version = (SELECT max(version) FROM schema_migrations)",
      SqlParams());
}

Result<int> SqlStore::schemaVersion() {
  auto tx = begin(domain::TxMode::kRead);
  if (!tx) return fail(tx.error());
  return static_cast<SqlCore&>(**tx).schemaVersion();
}

Status SqlStore::ping() {
  auto v = schemaVersion();
  if (!v) return fail(v.error());
  return {};
}

Status SqlStore::checkWritable() {
  auto tx = begin(domain::TxMode::kWrite);
  if (!tx) return fail(tx.error());
  if (auto st = static_cast<SqlCore&>(**tx).rewriteNewestMigration(); !st) return st;
  return (*tx)->commit();
}

}  // namespace kiosk::storage
