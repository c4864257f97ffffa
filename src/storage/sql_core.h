// SqlCore: the Transaction methods whose SQL is the same on both engines
// (professionals, contacts, staff, sessions, the audit chain and its signed
// heads, the fleet, communications and the outbox but its claim), written
// once over a small driver that each engine
// implements: run a statement with its parameters and visit its rows, or
// count the rows it changed. The SQL uses $1, $2, … (SQLite takes them as
// named parameters). Each engine keeps its own only where the engines really
// differ: the write lock and the transaction's life, lists and search (and
// their cache), the outbox claim, attachments read back, migrations; and a
// few hooks (SQLite's search index, kept by hand).
// Thread safety: as a Transaction (one thread).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/ports/store.h"

namespace kiosk::storage {

// The parameters of one statement, in the order of $1, $2, …
class SqlParams {
 public:
  struct Null {};
  // Bytes sent as a blob / bytea, not copied (REQUIRES: they outlive the run).
  struct Bytes {
    std::string_view data;
  };
  using Value = std::variant<Null, std::int64_t, std::string, Bytes>;

  SqlParams& add(std::string_view text) {
    values_.emplace_back(std::string(text));
    return *this;
  }
  SqlParams& add(std::int64_t value) {
    values_.emplace_back(value);
    return *this;
  }
  SqlParams& add(int value) { return add(static_cast<std::int64_t>(value)); }
  // 0 is NULL (optional references).
  SqlParams& addId(std::int64_t value) {
    if (value == 0) {
      values_.emplace_back(Null{});
      return *this;
    }
    return add(value);
  }
  SqlParams& addBytes(std::string_view data) {
    values_.emplace_back(Bytes{data});
    return *this;
  }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::vector<Value> values_;
};

// One result row, as the shared readers of rows.h read it.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual std::string text(int col) const = 0;
  virtual std::int64_t int64(int col) const = 0;
  int integer(int col) const { return static_cast<int>(int64(col)); }
};

class SqlCore : public domain::Transaction {
 public:
  // --- professionals ---------------------------------------------------------
  Result<std::optional<domain::Professional>> findProfessional(std::string_view cf) override;
  Result<std::optional<domain::Professional>> professionalById(std::int64_t id) override;
  Result<std::int64_t> insertProfessional(const domain::Professional& p, std::int64_t now) override;
  Status updateProfessionalNames(std::int64_t id,
                                 std::string_view surname,
                                 std::string_view name,
                                 std::int64_t now) override;
  Status setProfessionalPin(std::int64_t id, std::string_view pin_hash) override;
  Status setPinReset(std::int64_t id, const domain::PinResetWindow& window) override;
  Status setLoginState(domain::AccountKind kind,
                       std::int64_t id,
                       const domain::LoginState& state) override;
  Result<std::int64_t> countLockedAccounts(std::int64_t now) override;

  // --- contacts --------------------------------------------------------------
  Result<std::optional<domain::ContactsVersion>> contactsVersionById(std::int64_t id) override;
  Result<std::optional<domain::ContactsVersion>> currentContacts(
      std::int64_t professional_id) override;
  Result<domain::ContactsVersion> addContactsVersion(std::int64_t professional_id,
                                                     const domain::Contacts& c,
                                                     domain::ContactsSource source,
                                                     std::int64_t now) override;

  // --- staff -----------------------------------------------------------------
  Result<std::optional<domain::StaffUser>> findStaff(std::string_view user) override;
  Result<std::optional<domain::StaffUser>> staffById(std::int64_t id) override;
  Result<std::int64_t> upsertStaff(const domain::StaffUser& u, std::int64_t now) override;

  // --- sessions --------------------------------------------------------------
  Status insertSession(const domain::Session& s) override;
  Result<std::optional<domain::Session>> findSession(std::string_view token_hash) override;
  Status touchSession(std::int64_t id, std::int64_t now) override;
  Status deleteSession(std::int64_t id) override;
  Status deleteSessionsOf(domain::Role role, std::int64_t subject_id) override;
  Result<int> deleteExpiredSessions(std::int64_t idle_before, std::int64_t created_before) override;

  // --- the audit chain and its signed heads ----------------------------------
  Status appendAudit(const domain::AuditEntry& e) override;
  Status scanAudit(const AuditVisitor& visit) override;
  Result<std::optional<domain::AuditHead>> auditHead() override;
  Status appendAuditAnchor(const domain::AuditAnchor& anchor) override;
  Result<std::vector<domain::AuditAnchor>> auditAnchors() override;
  Result<std::optional<domain::AuditAnchor>> lastAuditAnchor() override;
  Result<std::int64_t> nextAnchorSeq(std::string_view kiosk_id) override;
  Result<bool> hasAuditAnchors(std::string_view kiosk_id) override;

  // --- the fleet ---------------------------------------------------------------
  Status publishReceiptKey(const domain::PublishedKey& key) override;
  Result<std::vector<domain::PublishedKey>> receiptKeys() override;
  Status recordHeartbeat(const domain::KioskStatus& status) override;
  Status recordSelftest(std::string_view kiosk_id,
                        std::int64_t at,
                        bool ok,
                        std::string_view summary) override;
  Result<std::vector<domain::KioskStatus>> listKiosks() override;

  // --- communications, messages, attachments ---------------------------------
  Result<std::int64_t> nextProtocolNumber(int year) override;
  Result<std::optional<std::int64_t>> findIdempotencyKey(std::int64_t professional_id,
                                                         std::string_view key) override;
  Status saveIdempotencyKey(std::int64_t professional_id,
                            std::string_view key,
                            std::int64_t communication_id,
                            std::int64_t now) override;
  Result<std::int64_t> insertCommunication(const domain::Communication& c) override;
  Result<std::int64_t> insertMessage(const domain::Message& m) override;
  Status serialize() override { return {}; }
  // Kept as pointers, inserted with their message (one kiosk's file: no
  // other writer to let go on meanwhile).
  Status stageAttachments(std::span<const domain::NewAttachment> files) override;
  Result<std::vector<std::int64_t>> insertStagedAttachments(std::int64_t message_id) override;
  Result<std::int64_t> insertAttachment(std::int64_t message_id,
                                        const domain::NewAttachment& a) override;
  Result<std::optional<domain::Communication>> communicationById(std::int64_t id) override;
  Result<std::optional<domain::Communication>> communicationByProtocol(
      std::string_view protocol) override;
  Result<std::vector<domain::Message>> messagesOf(std::int64_t communication_id) override;
  Status updateCommunication(const domain::Communication& c) override;
  Status markRead(std::int64_t communication_id) override;
  Result<std::int64_t> listVersion(std::int64_t professional_id) override;
  Result<std::int64_t> queueVersion() override;
  Result<std::int64_t> unreadCount(std::int64_t professional_id) override;
  Result<std::vector<domain::SentSize>> professionalSends(std::int64_t professional_id,
                                                          std::int64_t since) override;

  // --- the outbox (the claim is each engine's own) -----------------------------
  Status insertOutboxRows(std::span<const domain::OutboxRow> rows) override;
  Result<std::int64_t> lastOutboxAt(std::int64_t communication_id,
                                    domain::NotifyEvent event) override;
  Result<bool> markOutboxSent(std::int64_t id, std::int64_t lease_until, std::int64_t now) override;
  Result<bool> markOutboxAttempt(std::int64_t id,
                                 std::int64_t lease_until,
                                 int attempts,
                                 std::int64_t next_attempt_at,
                                 const std::string& error,
                                 bool failed) override;
  Result<std::vector<domain::OutboxItem>> listOutbox(std::optional<domain::OutboxStatus> status,
                                                     int limit) override;
  Result<std::int64_t> countOutbox(domain::OutboxStatus status,
                                   std::optional<domain::Channel> channel) override;
  Result<int> retryOutbox(std::int64_t id, std::int64_t now) override;

  // The highest migration applied.
  Result<int> schemaVersion();
  // Rewrites the newest migration's row as it is: the smallest real write.
  Status rewriteNewestMigration();

 protected:
  // For each row; false from the visit stops early.
  using RowVisit = std::function<bool(const SqlRow&)>;

  // The driver, each engine's own: runs `sql` with `params`, visiting each
  // row of its answer.
  virtual Status each(const std::string& sql, const SqlParams& params, const RowVisit& visit) = 0;
  // Runs a statement without rows; how many rows it changed.
  virtual Result<std::int64_t> change(const std::string& sql, const SqlParams& params) = 0;

  // Hooks around a surname change (SQLite's search index is kept by hand).
  virtual Status beforeNamesChange(std::int64_t /*professional_id*/) { return {}; }
  virtual Status afterNamesChange(std::int64_t /*professional_id*/) { return {}; }
  // After a new thread is written (SQLite indexes it for the staff's search).
  virtual Status afterCommunicationInsert(std::int64_t /*id*/) { return {}; }
  // An attachment's bytes went through the engine (SQLite then drops its page
  // cache at the end, so that it holds indexes and rows, not files).
  virtual void filesTouched() {}

  // Files staged by the default stageAttachments, not yet inserted.
  std::vector<const domain::NewAttachment*> staged_;

  // Zero or one row, read with `read`.
  template <typename T, typename Read>
  Result<std::optional<T>> one(const std::string& sql, const SqlParams& params, Read read) {
    std::optional<T> out;
    auto st = each(sql, params, [&](const SqlRow& row) {
      out = read(row);
      return false;
    });
    if (!st) return fail(st.error());
    return out;
  }
  // Every row, read with `read`.
  template <typename T, typename Read>
  Result<std::vector<T>> all(const std::string& sql, const SqlParams& params, Read read) {
    std::vector<T> out;
    auto st = each(sql, params, [&](const SqlRow& row) {
      out.push_back(read(row));
      return true;
    });
    if (!st) return fail(st.error());
    return out;
  }
  // Zero or one (every) whole row of T's table (rows.h) with `rest` after
  // its FROM (WHERE, ORDER BY, LIMIT).
  template <typename T>
  Result<std::optional<T>> oneWhere(const char* rest, const SqlParams& params);
  template <typename T>
  Result<std::vector<T>> allWhere(const char* rest, const SqlParams& params);
  // The row of T whose key matches (`where` names the key's column).
  template <typename T, typename Key>
  Result<std::optional<T>> byKey(const char* where, Key key);
  // The first column of the first row, as an integer.
  Result<std::int64_t> scalar(const std::string& sql, const SqlParams& params);
  Status exec(const std::string& sql, const SqlParams& params) {
    auto n = change(sql, params);
    if (!n) return fail(n.error());
    return {};
  }
};

// What both stores do alike through their transactions (all SqlCore).
class SqlStore : public domain::Store {
 public:
  // The schema version read: the database answers.
  Status ping() override;
  // A write committed (on SQLite one page through the WAL): the database
  // takes writes (not full, not read-only).
  Status checkWritable() override;
  Result<int> schemaVersion();
};

}  // namespace kiosk::storage
