#include "storage/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <cctype>
#include <map>
#include <span>
#include <sstream>

#include "core/embedded_file.h"
#include "core/log.h"
#include "domain/audit.h"

namespace kiosk::storage {

std::span<const EmbeddedFile> sqliteMigrations();  // generated from migrations/*.sql

using domain::AccountKind;
using domain::AuditEntry;
using domain::CommFilter;
using domain::CommPage;
using domain::Communication;
using domain::Contacts;
using domain::ContactsSource;
using domain::ContactsVersion;
using domain::LoginState;
using domain::Message;
using domain::NewAttachment;
using domain::OutboxItem;
using domain::OutboxRow;
using domain::Professional;
using domain::Role;
using domain::Session;
using domain::StaffUser;
using domain::StoredFile;

namespace {

Error dbError(sqlite3* db, const char* what) {
  const int code = sqlite3_errcode(db);
  std::string detail = std::string(what) + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    Error e = Error::unavailable("database_busy",
                                 "Il sistema è momentaneamente occupato. Riprovare tra poco.");
    e.detail = detail;
    return e;
  }
  return Error::internal(detail);
}

std::string joinChannels(const std::vector<std::string>& channels) {
  std::string out;
  for (const auto& c : channels) {
    if (!out.empty()) out += ',';
    out += c;
  }
  return out;
}

std::vector<std::string> splitChannels(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Role parseRole(std::string_view text) {
  if (text == "staff") return Role::kStaff;
  if (text == "technician") return Role::kTechnician;
  return Role::kProfessional;
}

}  // namespace

// A connection and its cache of prepared statements (keyed by SQL text).
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  Result<sqlite3_stmt*> prepare(const char* sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return fail(dbError(db_, "prepare"));
    }
    statements_.emplace(sql, stmt);
    return stmt;
  }

  Status exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string detail = message ? message : "unknown";
      sqlite3_free(message);
      const int code = sqlite3_errcode(db_);
      if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return fail(dbError(db_, sql));
      return fail(Error::internal(std::string(sql).substr(0, 60) + ": " + detail));
    }
    return {};
  }

 private:
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> statements_;
};

namespace {

// One execution of a cached statement: bind, step, read columns.
class Query {
 public:
  Query(Connection& conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  ~Query() { sqlite3_reset(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(std::string_view text) {
    sqlite3_bind_text(stmt_, ++index_, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(std::int64_t value) {
    sqlite3_bind_int64(stmt_, ++index_, value);
    return *this;
  }
  Query& bind(int value) { return bind(static_cast<std::int64_t>(value)); }
  // 0 is stored as NULL (optional references).
  Query& bindId(std::int64_t value) {
    if (value == 0) {
      sqlite3_bind_null(stmt_, ++index_);
    } else {
      sqlite3_bind_int64(stmt_, ++index_, value);
    }
    return *this;
  }
  // REQUIRES: `data` outlives the step (no copy of large attachments).
  Query& bindBlob(std::string_view data) {
    sqlite3_bind_blob64(stmt_, ++index_, data.data(), data.size(), SQLITE_STATIC);
    return *this;
  }

  // true: a row is ready; false: done.
  Result<bool> step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(dbError(conn_.db(), sqlite3_sql(stmt_)));
  }
  Status run() {
    auto r = step();
    if (!r) return fail(r.error());
    return {};
  }

  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int integer(int col) const { return sqlite3_column_int(stmt_, col); }
  std::string blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

class SqliteTransaction final : public domain::Transaction {
 public:
  SqliteTransaction(SqliteStore& store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~SqliteTransaction() override {
    if (!done_) {
      (void)conn_->exec("ROLLBACK");
    }
    store_.release(std::move(conn_));
  }

  Status commit() override {
    if (auto st = conn_->exec("COMMIT"); !st) return st;
    done_ = true;
    return {};
  }

  Result<Query> query(const char* sql) {
    auto stmt = conn_->prepare(sql);
    if (!stmt) return fail(stmt.error());
    return Result<Query>(std::in_place, *conn_, *stmt);
  }

  // --- professionals -----------------------------------------------------

  static Professional readProfessional(const Query& q) {
    Professional p;
    p.id = q.int64(0);
    p.codice_fiscale = q.text(1);
    p.surname = q.text(2);
    p.name = q.text(3);
    p.pin_hash = q.text(4);
    p.login = {q.integer(5), q.int64(6)};
    return p;
  }

  Result<std::optional<Professional>> findProfessional(std::string_view cf) override {
    return one<Professional>(
        "SELECT id, codice_fiscale, surname, name, pin_hash, failed_attempts, locked_until "
        "FROM professionals WHERE codice_fiscale = ?",
        cf, readProfessional);
  }

  Result<std::optional<Professional>> professionalById(std::int64_t id) override {
    return one<Professional>(
        "SELECT id, codice_fiscale, surname, name, pin_hash, failed_attempts, locked_until "
        "FROM professionals WHERE id = ?",
        id, readProfessional);
  }

  Result<std::int64_t> insertProfessional(const Professional& p, std::int64_t now) override {
    auto q = query(
        "INSERT INTO professionals (codice_fiscale, surname, name, pin_hash, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!q) return fail(q.error());
    q->bind(p.codice_fiscale).bind(p.surname).bind(p.name).bind(p.pin_hash).bind(now).bind(now);
    if (auto st = q->run(); !st) return fail(st.error());
    return sqlite3_last_insert_rowid(conn_->db());
  }

  Status updateProfessionalNames(std::int64_t id,
                                 std::string_view surname,
                                 std::string_view name,
                                 std::int64_t now) override {
    auto q = query("UPDATE professionals SET surname = ?, name = ?, updated_at = ? WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(surname).bind(name).bind(now).bind(id).run();
  }

  Status setProfessionalPin(std::int64_t id, std::string_view pin_hash) override {
    auto q = query("UPDATE professionals SET pin_hash = ? WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(pin_hash).bind(id).run();
  }

  Status setLoginState(AccountKind kind, std::int64_t id, const LoginState& state) override {
    auto q = query(kind == AccountKind::kProfessional
                       ? "UPDATE professionals SET failed_attempts = ?, locked_until = ? "
                         "WHERE id = ?"
                       : "UPDATE staff_users SET failed_attempts = ?, locked_until = ? "
                         "WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(state.failed_attempts).bind(state.locked_until).bind(id).run();
  }

  Result<std::int64_t> countLockedAccounts(std::int64_t now) override {
    auto q = query(
        "SELECT (SELECT count(*) FROM professionals WHERE locked_until > ?1) + "
        "(SELECT count(*) FROM staff_users WHERE locked_until > ?1)");
    if (!q) return fail(q.error());
    q->bind(now);
    auto row = q->step();
    if (!row) return fail(row.error());
    return q->int64(0);
  }

  // --- contacts ----------------------------------------------------------

  static ContactsVersion readContacts(const Query& q) {
    ContactsVersion v;
    v.id = q.int64(0);
    v.version = q.integer(1);
    v.contacts.pec = q.text(2);
    v.contacts.email = q.text(3);
    v.contacts.mobile = q.text(4);
    v.contacts.phone = q.text(5);
    v.contacts.fax = q.text(6);
    v.contacts.notify = splitChannels(q.text(7));
    v.source =
        q.text(8) == "professional" ? ContactsSource::kProfessional : ContactsSource::kArchive;
    v.created_at = q.int64(9);
    return v;
  }

  Result<std::optional<ContactsVersion>> contactsVersionById(std::int64_t id) override {
    return one<ContactsVersion>(
        "SELECT id, version, pec, email, mobile, phone, fax, notify, source, created_at "
        "FROM contact_versions WHERE id = ?",
        id, readContacts);
  }

  Result<std::optional<ContactsVersion>> currentContacts(std::int64_t professional_id) override {
    return one<ContactsVersion>(
        "SELECT id, version, pec, email, mobile, phone, fax, notify, source, created_at "
        "FROM contact_versions WHERE professional_id = ? ORDER BY version DESC LIMIT 1",
        professional_id, readContacts);
  }

  Result<ContactsVersion> addContactsVersion(std::int64_t professional_id,
                                             const Contacts& c,
                                             ContactsSource source,
                                             std::int64_t now) override {
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
        .bind(
            std::string_view(source == ContactsSource::kProfessional ? "professional" : "archive"))
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

  // --- staff -------------------------------------------------------------

  static StaffUser readStaff(const Query& q) {
    StaffUser u;
    u.id = q.int64(0);
    u.username = q.text(1);
    u.display_name = q.text(2);
    u.role = parseRole(q.text(3));
    u.password_hash = q.text(4);
    u.login = {q.integer(5), q.int64(6)};
    return u;
  }

  Result<std::optional<StaffUser>> findStaff(std::string_view username) override {
    return one<StaffUser>(
        "SELECT id, username, display_name, role, password_hash, failed_attempts, locked_until "
        "FROM staff_users WHERE username = ?",
        username, readStaff);
  }

  Result<std::optional<StaffUser>> staffById(std::int64_t id) override {
    return one<StaffUser>(
        "SELECT id, username, display_name, role, password_hash, failed_attempts, locked_until "
        "FROM staff_users WHERE id = ?",
        id, readStaff);
  }

  Result<std::int64_t> upsertStaff(const StaffUser& u, std::int64_t now) override {
    auto q = query(
        "INSERT INTO staff_users (username, display_name, role, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
        "display_name = excluded.display_name, role = excluded.role, "
        "password_hash = excluded.password_hash, failed_attempts = 0, locked_until = 0 "
        "RETURNING id");
    if (!q) return fail(q.error());
    q->bind(u.username)
        .bind(u.display_name)
        .bind(domain::roleName(u.role))
        .bind(u.password_hash)
        .bind(now);
    auto row = q->step();
    if (!row) return fail(row.error());
    return q->int64(0);
  }

  // --- sessions ----------------------------------------------------------

  Status insertSession(const Session& s) override {
    auto q = query(
        "INSERT INTO sessions (token_hash, role, subject_id, principal, display_name, "
        "csrf_token, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q) return fail(q.error());
    return q->bind(s.token_hash)
        .bind(domain::roleName(s.role))
        .bind(s.subject_id)
        .bind(s.principal)
        .bind(s.display_name)
        .bind(s.csrf_token)
        .bind(s.created_at)
        .bind(s.last_seen)
        .run();
  }

  Result<std::optional<Session>> findSession(std::string_view token_hash) override {
    return one<Session>(
        "SELECT id, token_hash, role, subject_id, display_name, csrf_token, created_at, "
        "last_seen, principal FROM sessions WHERE token_hash = ?",
        token_hash, [](const Query& q) {
          Session s;
          s.id = q.int64(0);
          s.token_hash = q.text(1);
          s.role = parseRole(q.text(2));
          s.subject_id = q.int64(3);
          s.display_name = q.text(4);
          s.csrf_token = q.text(5);
          s.created_at = q.int64(6);
          s.last_seen = q.int64(7);
          s.principal = q.text(8);
          return s;
        });
  }

  Status touchSession(std::int64_t id, std::int64_t now) override {
    auto q = query("UPDATE sessions SET last_seen = ? WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(now).bind(id).run();
  }

  Status deleteSession(std::int64_t id) override {
    auto q = query("DELETE FROM sessions WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(id).run();
  }

  Result<int> deleteExpiredSessions(std::int64_t idle_before,
                                    std::int64_t created_before) override {
    auto q = query("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?");
    if (!q) return fail(q.error());
    if (auto st = q->bind(idle_before).bind(created_before).run(); !st) return fail(st.error());
    return sqlite3_changes(conn_->db());
  }

  // --- audit -------------------------------------------------------------

  Status appendAudit(const AuditEntry& e) override {
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

  Status scanAudit(const AuditVisitor& visit) override {
    auto q = query(
        "SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit_log "
        "ORDER BY id");
    if (!q) return fail(q.error());
    while (true) {
      auto row = q->step();
      if (!row) return fail(row.error());
      if (!*row) return {};
      const AuditEntry e{q->int64(1), q->text(2), q->text(3), q->text(4), q->text(5)};
      if (!visit(q->int64(0), e, q->text(6), q->text(7))) return {};
    }
  }

  // --- communications ----------------------------------------------------

  Result<std::int64_t> nextProtocolNumber(int year) override {
    auto q = query(
        "INSERT INTO protocol_counters (year, last) VALUES (?, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last");
    if (!q) return fail(q.error());
    q->bind(year);
    auto row = q->step();
    if (!row) return fail(row.error());
    return q->int64(0);
  }

  Result<std::optional<std::int64_t>> findIdempotencyKey(std::int64_t professional_id,
                                                         std::string_view key) override {
    auto q = query(
        "SELECT communication_id FROM idempotency_keys WHERE professional_id = ? AND key = ?");
    if (!q) return fail(q.error());
    q->bind(professional_id).bind(key);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(q->int64(0));
  }

  Status saveIdempotencyKey(std::int64_t professional_id,
                            std::string_view key,
                            std::int64_t communication_id,
                            std::int64_t now) override {
    auto q = query(
        "INSERT INTO idempotency_keys (professional_id, key, communication_id, created_at) "
        "VALUES (?, ?, ?, ?)");
    if (!q) return fail(q.error());
    return q->bind(professional_id).bind(key).bind(communication_id).bind(now).run();
  }

  Result<std::int64_t> insertCommunication(const Communication& c) override {
    auto q = query(
        "INSERT INTO communications (protocol, professional_id, box, topic, subject, status, "
        "outcome, contacts_version_id, extra_email, unread, assigned_staff_id, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q) return fail(q.error());
    q->bind(c.protocol)
        .bind(c.professional_id)
        .bind(domain::boxName(c.box))
        .bind(c.topic)
        .bind(c.subject)
        .bind(domain::statusName(c.status))
        .bind(c.outcome)
        .bindId(c.contacts_version_id)
        .bind(c.extra_email)
        .bind(c.unread ? 1 : 0)
        .bindId(c.assigned_staff_id)
        .bind(c.created_at)
        .bind(c.updated_at);
    if (auto st = q->run(); !st) return fail(st.error());
    return sqlite3_last_insert_rowid(conn_->db());
  }

  Result<std::int64_t> insertMessage(const Message& m) override {
    auto q = query(
        "INSERT INTO messages (communication_id, author, staff_id, body, created_at) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!q) return fail(q.error());
    q->bind(m.communication_id)
        .bind(domain::authorName(m.author))
        .bindId(m.staff_id)
        .bind(m.body)
        .bind(m.created_at);
    if (auto st = q->run(); !st) return fail(st.error());
    return sqlite3_last_insert_rowid(conn_->db());
  }

  Result<std::int64_t> insertAttachment(std::int64_t message_id, const NewAttachment& a) override {
    auto q = query(
        "INSERT INTO attachments (message_id, filename, content_type, size, sha256, content) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    if (!q) return fail(q.error());
    q->bind(message_id)
        .bind(a.filename)
        .bind(a.content_type)
        .bind(static_cast<std::int64_t>(a.data.size()))
        .bind(a.sha256)
        .bindBlob(a.data);
    if (auto st = q->run(); !st) return fail(st.error());
    return sqlite3_last_insert_rowid(conn_->db());
  }

  static constexpr const char* kCommColumns =
      "SELECT c.id, c.protocol, c.professional_id, c.box, c.topic, c.subject, c.status, "
      "c.outcome, coalesce(c.contacts_version_id, 0), c.extra_email, c.unread, "
      "coalesce(c.assigned_staff_id, 0), c.created_at, c.updated_at, p.codice_fiscale, "
      "p.name || ' ' || p.surname FROM communications c "
      "JOIN professionals p ON p.id = c.professional_id ";

  // The columns of kCommColumns, starting at column `o`.
  static Communication readComm(const Query& q, int o = 0) {
    Communication c;
    c.id = q.int64(o + 0);
    c.protocol = q.text(o + 1);
    c.professional_id = q.int64(o + 2);
    c.box = q.text(o + 3) == "received" ? domain::Box::kReceived : domain::Box::kSent;
    c.topic = q.text(o + 4);
    c.subject = q.text(o + 5);
    c.status = domain::parseStatus(q.text(o + 6)).value_or(domain::CommStatus::kAperta);
    c.outcome = q.text(o + 7);
    c.contacts_version_id = q.int64(o + 8);
    c.extra_email = q.text(o + 9);
    c.unread = q.integer(o + 10) != 0;
    c.assigned_staff_id = q.int64(o + 11);
    c.created_at = q.int64(o + 12);
    c.updated_at = q.int64(o + 13);
    c.codice_fiscale = q.text(o + 14);
    c.professional_name = q.text(o + 15);
    return c;
  }

  Result<std::optional<Communication>> communicationById(std::int64_t id) override {
    static const std::string sql = std::string(kCommColumns) + "WHERE c.id = ?";
    return one<Communication>(sql.c_str(), id, [](const Query& q) { return readComm(q); });
  }

  Result<std::optional<Communication>> communicationByProtocol(std::string_view protocol) override {
    static const std::string sql = std::string(kCommColumns) + "WHERE c.protocol = ?";
    return one<Communication>(sql.c_str(), protocol, [](const Query& q) { return readComm(q); });
  }

  Result<CommPage> listCommunications(const CommFilter& f) override {
    // The WHERE clause is built from fixed fragments; every value is bound.
    std::string where = "WHERE 1 = 1";
    std::vector<std::string> texts;
    std::vector<std::int64_t> ints;
    std::vector<char> kinds;  // 't' text, 'i' integer, in binding order
    auto addText = [&](const char* clause, std::string value) {
      where += clause;
      texts.push_back(std::move(value));
      kinds.push_back('t');
    };
    auto addInt = [&](const char* clause, std::int64_t value) {
      where += clause;
      ints.push_back(value);
      kinds.push_back('i');
    };
    if (f.professional_id) addInt(" AND c.professional_id = ?", *f.professional_id);
    if (f.box) addText(" AND c.box = ?", std::string(domain::boxName(*f.box)));
    if (f.status) addText(" AND c.status = ?", std::string(domain::statusName(*f.status)));
    if (f.topic) addText(" AND c.topic = ?", *f.topic);
    if (f.unread) addInt(" AND c.unread = ?", *f.unread ? 1 : 0);
    if (!f.q.empty()) {
      std::string pattern = "%";
      for (char ch : f.q) {
        if (ch == '%' || ch == '_' || ch == '\\') pattern.push_back('\\');
        pattern.push_back(ch);
      }
      pattern.push_back('%');
      std::string upper = f.q;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      where += " AND (c.protocol = ? OR p.codice_fiscale = ? OR c.subject LIKE ? ESCAPE '\\')";
      texts.push_back(upper);
      kinds.push_back('t');
      texts.push_back(upper);
      kinds.push_back('t');
      texts.push_back(pattern);
      kinds.push_back('t');
    }
    auto bindAll = [&](Query& q) {
      std::size_t ti = 0, ii = 0;
      for (char k : kinds) {
        if (k == 't') {
          q.bind(texts[ti++]);
        } else {
          q.bind(ints[ii++]);
        }
      }
    };
    CommPage page;
    {
      const std::string sql =
          "SELECT count(*) FROM communications c JOIN professionals p ON p.id = "
          "c.professional_id " +
          where;
      auto q = query(sql.c_str());
      if (!q) return fail(q.error());
      bindAll(*q);
      auto row = q->step();
      if (!row) return fail(row.error());
      page.total = q->int64(0);
    }
    if (page.total <= static_cast<std::int64_t>(f.page - 1) * f.per_page) return page;
    const std::string sql = std::string(kCommColumns) + where +
                            " ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?";
    auto q = query(sql.c_str());
    if (!q) return fail(q.error());
    bindAll(*q);
    q->bind(f.per_page).bind(static_cast<std::int64_t>(f.page - 1) * f.per_page);
    while (true) {
      auto row = q->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      page.items.push_back(readComm(*q));
    }
    return page;
  }

  Result<std::vector<Message>> messagesOf(std::int64_t communication_id) override {
    std::vector<Message> out;
    {
      auto q = query(
          "SELECT id, author, coalesce(staff_id, 0), body, created_at FROM messages "
          "WHERE communication_id = ? ORDER BY id");
      if (!q) return fail(q.error());
      q->bind(communication_id);
      while (true) {
        auto row = q->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        Message m;
        m.id = q->int64(0);
        m.communication_id = communication_id;
        m.author =
            q->text(1) == "institute" ? domain::Author::kInstitute : domain::Author::kProfessional;
        m.staff_id = q->int64(2);
        m.body = q->text(3);
        m.created_at = q->int64(4);
        out.push_back(std::move(m));
      }
    }
    auto q = query(
        "SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256 "
        "FROM attachments a JOIN messages m ON m.id = a.message_id "
        "WHERE m.communication_id = ? ORDER BY a.id");
    if (!q) return fail(q.error());
    q->bind(communication_id);
    while (true) {
      auto row = q->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      const std::int64_t message_id = q->int64(1);
      for (auto& m : out) {
        if (m.id == message_id) {
          m.attachments.push_back({q->int64(0), q->text(2), q->text(3), q->int64(4), q->text(5)});
        }
      }
    }
    return out;
  }

  Status updateCommunication(const Communication& c) override {
    auto q = query(
        "UPDATE communications SET status = ?, outcome = ?, unread = ?, assigned_staff_id = ?, "
        "updated_at = ? WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(domain::statusName(c.status))
        .bind(c.outcome)
        .bind(c.unread ? 1 : 0)
        .bindId(c.assigned_staff_id)
        .bind(c.updated_at)
        .bind(c.id)
        .run();
  }

  Result<std::optional<StoredFile>> attachmentById(std::int64_t id) override {
    return one<StoredFile>(
        "SELECT a.id, a.filename, a.content_type, a.size, a.sha256, a.content, c.professional_id "
        "FROM attachments a JOIN messages m ON m.id = a.message_id "
        "JOIN communications c ON c.id = m.communication_id WHERE a.id = ?",
        id, [](const Query& q) {
          StoredFile f;
          f.meta = {q.int64(0), q.text(1), q.text(2), q.int64(3), q.text(4)};
          f.data = q.blob(5);
          f.professional_id = q.int64(6);
          return f;
        });
  }

  Result<std::int64_t> unreadCount(std::int64_t professional_id) override {
    auto q = query("SELECT count(*) FROM communications WHERE professional_id = ? AND unread = 1");
    if (!q) return fail(q.error());
    q->bind(professional_id);
    auto row = q->step();
    if (!row) return fail(row.error());
    return q->int64(0);
  }

  Status insertOutbox(const OutboxRow& r) override {
    auto q = query(
        "INSERT INTO outbox (communication_id, event, channel, recipient, next_attempt_at, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)");
    if (!q) return fail(q.error());
    return q->bind(r.communication_id)
        .bind(r.event)
        .bind(r.channel)
        .bind(r.recipient)
        .bind(r.created_at)
        .bind(r.created_at)
        .run();
  }

  // --- outbox --------------------------------------------------------------

  static constexpr const char* kOutboxColumns =
      "SELECT o.id, o.communication_id, o.event, o.channel, o.recipient, o.status, o.attempts, "
      "o.next_attempt_at, o.last_error, o.created_at, c.protocol, c.topic FROM outbox o "
      "JOIN communications c ON c.id = o.communication_id ";

  static OutboxItem readOutbox(const Query& q) {
    OutboxItem o;
    o.id = q.int64(0);
    o.communication_id = q.int64(1);
    o.event = q.text(2);
    o.channel = q.text(3);
    o.recipient = q.text(4);
    o.status = q.text(5);
    o.attempts = q.integer(6);
    o.next_attempt_at = q.int64(7);
    o.last_error = q.text(8);
    o.created_at = q.int64(9);
    o.protocol = q.text(10);
    o.topic = q.text(11);
    return o;
  }

  Result<std::vector<OutboxItem>> claimOutbox(std::int64_t now,
                                              std::int64_t lease_until,
                                              int limit) override {
    // The write transaction already holds SQLite's lock: nobody else claims.
    std::vector<OutboxItem> out;
    {
      static const std::string sql = std::string(kOutboxColumns) +
                                     "WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
                                     "ORDER BY o.id LIMIT ?";
      auto q = query(sql.c_str());
      if (!q) return fail(q.error());
      q->bind(now).bind(limit);
      while (true) {
        auto row = q->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back(readOutbox(*q));
      }
    }
    for (const auto& o : out) {
      auto q = query("UPDATE outbox SET next_attempt_at = ? WHERE id = ?");
      if (!q) return fail(q.error());
      if (auto st = q->bind(lease_until).bind(o.id).run(); !st) return fail(st.error());
    }
    return out;
  }

  Status markOutboxSent(std::int64_t id, std::int64_t now) override {
    auto q = query(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(now).bind(id).run();
  }

  Status markOutboxAttempt(std::int64_t id,
                           int attempts,
                           std::int64_t next_attempt_at,
                           const std::string& error,
                           bool failed) override {
    auto q = query(
        "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, status = ? "
        "WHERE id = ?");
    if (!q) return fail(q.error());
    return q->bind(attempts)
        .bind(next_attempt_at)
        .bind(error)
        .bind(std::string_view(failed ? "failed" : "pending"))
        .bind(id)
        .run();
  }

  Result<std::vector<OutboxItem>> listOutbox(const std::string& status, int limit) override {
    static const std::string all = std::string(kOutboxColumns) + "ORDER BY o.id DESC LIMIT ?";
    static const std::string some =
        std::string(kOutboxColumns) + "WHERE o.status = ? ORDER BY o.id DESC LIMIT ?";
    auto q = query(status.empty() ? all.c_str() : some.c_str());
    if (!q) return fail(q.error());
    if (!status.empty()) q->bind(status);
    q->bind(limit);
    std::vector<OutboxItem> out;
    while (true) {
      auto row = q->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      out.push_back(readOutbox(*q));
    }
    return out;
  }

  Result<int> retryOutbox(std::int64_t id, std::int64_t now) override {
    auto q =
        query(id == 0 ? "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
                        "WHERE status = 'failed' AND ? = 0"
                      : "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
                        "WHERE status = 'failed' AND id = ?");
    if (!q) return fail(q.error());
    if (auto st = q->bind(now).bind(id).run(); !st) return fail(st.error());
    return sqlite3_changes(conn_->db());
  }

 private:
  // Runs a one-parameter query expected to give zero or one row.
  template <typename T, typename Param, typename Read>
  Result<std::optional<T>> one(const char* sql, const Param& param, Read read) {
    auto q = query(sql);
    if (!q) return fail(q.error());
    q->bind(param);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<T>();
    return std::optional<T>(read(*q));
  }

  SqliteStore& store_;
  std::unique_ptr<Connection> conn_;
  bool done_ = false;
};

}  // namespace

SqliteStore::SqliteStore(std::string path, StoreOptions options)
    : path_(std::move(path)), options_(options) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const StoreOptions& options) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options));
  auto conn = store->acquire();
  if (!conn) return fail(conn.error());
  store->release(std::move(*conn));
  if (auto st = store->migrate(); !st) return fail(st.error());
  return store;
}

Result<std::unique_ptr<Connection>> SqliteStore::acquire() {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_connections_ < options_.pool_size; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_connections_;
  }
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto conn = std::make_unique<Connection>(db);
  auto opened = [&]() -> Status {
    if (rc != SQLITE_OK) {
      Error e = Error::unavailable("database_unavailable", "Archivio dati non disponibile.");
      e.detail = "cannot open " + path_ + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
      return fail(e);
    }
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    sqlite3_extended_result_codes(db, 1);
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON",
          "PRAGMA trusted_schema = OFF", "PRAGMA secure_delete = ON",
          "PRAGMA cache_size = -1024"}) {  // 1 MiB a connection: the OS caches the file too
      if (auto st = conn->exec(pragma); !st) return st;
    }
    return {};
  }();
  if (!opened) {
    std::lock_guard lock(mutex_);
    --open_connections_;
    available_.notify_one();
    return fail(opened.error());
  }
  return conn;
}

void SqliteStore::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(conn));
  available_.notify_one();
}

Result<std::unique_ptr<domain::Transaction>> SqliteStore::begin(domain::TxMode mode) {
  auto conn = acquire();
  if (!conn) return fail(conn.error());
  // IMMEDIATE takes the write lock now, so a writer never fails half-way on
  // an upgrade; DEFERRED reads a snapshot.
  if (auto st = (*conn)->exec(mode == domain::TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !st) {
    release(std::move(*conn));
    return fail(st.error());
  }
  return std::unique_ptr<domain::Transaction>(new SqliteTransaction(*this, std::move(*conn)));
}

Status SqliteStore::ping() {
  auto v = schemaVersion();
  if (!v) return fail(v.error());
  return {};
}

Result<int> SqliteStore::schemaVersion() {
  auto conn = acquire();
  if (!conn) return fail(conn.error());
  int version = 0;
  auto stmt = (*conn)->prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  Status st;
  if (!stmt) {
    st = fail(stmt.error());
  } else {
    Query q(**conn, *stmt);
    auto row = q.step();
    if (!row) {
      st = fail(row.error());
    } else {
      version = q.integer(0);
    }
  }
  release(std::move(*conn));
  if (!st) return fail(st.error());
  return version;
}

Status SqliteStore::migrate() {
  auto conn = acquire();
  if (!conn) return fail(conn.error());
  Connection& c = **conn;
  auto result = [&]() -> Status {
    if (auto st = c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                         "KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        !st) {
      return st;
    }
    for (const auto& file : sqliteMigrations()) {
      const int version = std::stoi(std::string(file.name.substr(0, 3)));
      if (auto st = c.exec("BEGIN IMMEDIATE"); !st) return st;
      auto applied = [&]() -> Result<bool> {
        auto stmt = c.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
        if (!stmt) return fail(stmt.error());
        Query q(c, *stmt);
        q.bind(version);
        return q.step();
      }();
      if (!applied) {
        (void)c.exec("ROLLBACK");
        return fail(applied.error());
      }
      if (*applied) {
        (void)c.exec("ROLLBACK");
        continue;
      }
      const std::string sql(file.content);
      auto st = c.exec(sql.c_str());
      if (st) {
        auto stmt = c.prepare(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, "
            "unixepoch())");
        if (!stmt) {
          st = fail(stmt.error());
        } else {
          Query q(c, *stmt);
          st = q.bind(version).bind(file.name).run();
        }
      }
      if (st) st = c.exec("COMMIT");
      if (!st) {
        (void)c.exec("ROLLBACK");
        return st;
      }
      log::info("migration_applied",
                {{"version", std::to_string(version)}, {"name", std::string(file.name)}});
    }
    return {};
  }();
  release(std::move(*conn));
  return result;
}

}  // namespace kiosk::storage
