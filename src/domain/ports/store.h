// Store: the storage port of the domain. An engine (SQLite now, PostgreSQL
// later) implements Store and Transaction; the domain sees nothing else.
//
// Every read and write happens inside a Transaction. A Transaction that is
// destroyed without commit() rolls back. A Transaction is used by one thread;
// a Store hands out transactions to many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "domain/model.h"

namespace kiosk::domain {

class Transaction {
 public:
  virtual ~Transaction() = default;

  virtual Status commit() = 0;

  // Professionals.
  virtual Result<std::optional<Professional>> findProfessional(std::string_view cf) = 0;
  virtual Result<std::optional<Professional>> professionalById(std::int64_t id) = 0;
  // Returns the new id.
  virtual Result<std::int64_t> insertProfessional(const Professional& p, std::int64_t now) = 0;
  virtual Status updateProfessionalNames(std::int64_t id,
                                         std::string_view surname,
                                         std::string_view name,
                                         std::int64_t now) = 0;
  virtual Status setProfessionalPin(std::int64_t id, std::string_view pin_hash) = 0;
  // Opens (until > now), updates or closes (until 0) the "Nuovo PIN" window.
  virtual Status setPinReset(std::int64_t id, const PinResetWindow& window) = 0;

  // Login state of a professional or a staff user.
  virtual Status setLoginState(AccountKind kind, std::int64_t id, const LoginState& state) = 0;
  virtual Result<std::int64_t> countLockedAccounts(std::int64_t now) = 0;

  // Contacts: append-only versions; the highest version is in force.
  virtual Result<std::optional<ContactsVersion>> currentContacts(std::int64_t professional_id) = 0;
  virtual Result<ContactsVersion> addContactsVersion(std::int64_t professional_id,
                                                     const Contacts& contacts,
                                                     ContactsSource source,
                                                     std::int64_t now) = 0;

  // Staff and technicians.
  virtual Result<std::optional<StaffUser>> findStaff(std::string_view username) = 0;
  virtual Result<std::optional<StaffUser>> staffById(std::int64_t id) = 0;
  // Inserts, or replaces password, role and display name of an existing user.
  virtual Result<std::int64_t> upsertStaff(const StaffUser& user, std::int64_t now) = 0;

  // Sessions.
  virtual Status insertSession(const Session& s) = 0;
  virtual Result<std::optional<Session>> findSession(std::string_view token_hash) = 0;
  virtual Status touchSession(std::int64_t id, std::int64_t now) = 0;
  virtual Status deleteSession(std::int64_t id) = 0;
  // Ends every session of one person (a new PIN or password).
  virtual Status deleteSessionsOf(Role role, std::int64_t subject_id) = 0;
  // Removes sessions idle since before `idle_before` or created before `created_before`.
  virtual Result<int> deleteExpiredSessions(std::int64_t idle_before,
                                            std::int64_t created_before) = 0;

  // Audit log: append-only, each entry chained to the previous by SHA-256.
  virtual Status appendAudit(const AuditEntry& entry) = 0;
  // Calls `visit` for each entry in order with its stored hashes; stops when it returns false.
  using AuditVisitor = std::function<bool(std::int64_t id,
                                          const AuditEntry& entry,
                                          const std::string& prev_hash,
                                          const std::string& hash)>;
  virtual Status scanAudit(const AuditVisitor& visit) = 0;
  // The newest entry; nullopt for an empty log.
  virtual Result<std::optional<AuditHead>> auditHead() = 0;
  // Signed heads, oldest first.
  virtual Status appendAuditAnchor(const AuditAnchor& anchor) = 0;
  virtual Result<std::vector<AuditAnchor>> auditAnchors() = 0;
  // The newest signed head (of any kiosk); nullopt when none.
  virtual Result<std::optional<AuditAnchor>> lastAuditAnchor() = 0;
  // The number the next signed head of `kiosk_id` takes (1 for its first).
  virtual Result<std::int64_t> nextAnchorSeq(std::string_view kiosk_id) = 0;
  // True once kiosk `kiosk_id` signed any head, i.e. its receipt key has been in use.
  virtual Result<bool> hasAuditAnchors(std::string_view kiosk_id) = 0;

  // The fleet. Public receipt keys: published once each (again: no change).
  virtual Status publishReceiptKey(const PublishedKey& key) = 0;
  virtual Result<std::vector<PublishedKey>> receiptKeys() = 0;
  // A kiosk's heartbeat (every field but the selftest's), inserted or replaced.
  virtual Status recordHeartbeat(const KioskStatus& status) = 0;
  // The selftest's fields of a kiosk, inserted or replaced.
  virtual Status recordSelftest(std::string_view kiosk_id,
                                std::int64_t at,
                                bool ok,
                                std::string_view summary) = 0;
  // Every kiosk on the database, by id.
  virtual Result<std::vector<KioskStatus>> listKiosks() = 0;

  // Communications.
  // The next protocol sequence number of `year` (1, 2, …).
  virtual Result<std::int64_t> nextProtocolNumber(int year) = 0;
  virtual Result<std::optional<std::int64_t>> findIdempotencyKey(std::int64_t professional_id,
                                                                 std::string_view key) = 0;
  virtual Status saveIdempotencyKey(std::int64_t professional_id,
                                    std::string_view key,
                                    std::int64_t communication_id,
                                    std::int64_t now) = 0;
  virtual Result<std::int64_t> insertCommunication(const Communication& c) = 0;
  // kWriteLate: takes the fleet's write lock now (nothing where it is held
  // already or where the engine serialises every write).
  virtual Status serialize() = 0;
  // A new message's files written ahead of it (before serialize()), then
  // given to it by insertStagedAttachments, which answers their ids in order.
  // REQUIRES: `files` outlive that call.
  virtual Status stageAttachments(std::span<const NewAttachment> files) = 0;
  virtual Result<std::vector<std::int64_t>> insertStagedAttachments(std::int64_t message_id) = 0;
  // Stores the message alone; its attachments go through insertAttachment.
  virtual Result<std::int64_t> insertMessage(const Message& m) = 0;
  virtual Result<std::int64_t> insertAttachment(std::int64_t message_id,
                                                const NewAttachment& a) = 0;
  virtual Result<std::optional<Communication>> communicationById(std::int64_t id) = 0;
  virtual Result<std::optional<Communication>> communicationByProtocol(
      std::string_view protocol) = 0;
  virtual Result<CommPage> listCommunications(const CommFilter& filter) = 0;
  // A professional's list version: moved on, in the same transaction, by
  // every change to their threads (CommPage::list_version).
  virtual Result<std::int64_t> listVersion(std::int64_t professional_id) = 0;
  // The staff's queue version: moved on, in the same transaction, by every
  // change to any thread or to a professional's codice fiscale or name.
  virtual Result<std::int64_t> queueVersion() = 0;
  // Messages in order, each with its attachments' metadata.
  virtual Result<std::vector<Message>> messagesOf(std::int64_t communication_id) = 0;
  // Writes status, outcome, unread, assigned_staff_id and updated_at.
  virtual Status updateCommunication(const Communication& c) = 0;
  // Marks a thread read, changing nothing else (safe without the write lock).
  virtual Status markRead(std::int64_t communication_id) = 0;
  virtual Result<std::optional<StoredFile>> attachmentById(std::int64_t id) = 0;
  virtual Result<std::optional<ContactsVersion>> contactsVersionById(std::int64_t id) = 0;
  // Threads with Institute messages the professional has not opened.
  virtual Result<std::int64_t> unreadCount(std::int64_t professional_id) = 0;
  // What a professional wrote since `since` (threads and messages of theirs,
  // not the Institute's), oldest first, with its attachments' bytes: the
  // fair-use limits are counted from it.
  virtual Result<std::vector<SentSize>> professionalSends(std::int64_t professional_id,
                                                          std::int64_t since) = 0;
  // Queues notifications, all in one statement.
  virtual Status insertOutboxRows(std::span<const OutboxRow> rows) = 0;
  Status insertOutbox(const OutboxRow& row) { return insertOutboxRows({&row, 1}); }
  // When the newest outbox row of `event` for a thread was queued (0: never).
  virtual Result<std::int64_t> lastOutboxAt(std::int64_t communication_id, NotifyEvent event) = 0;

  // Notification outbox. Claims up to `limit` pending rows due at `now` and
  // pushes their next attempt to `lease_until`, so that no other dispatcher
  // takes them meanwhile (PostgreSQL: FOR UPDATE SKIP LOCKED).
  // `channel`: that channel's rows only (each channel has its own worker).
  virtual Result<std::vector<OutboxItem>> claimOutbox(std::int64_t now,
                                                      std::int64_t lease_until,
                                                      int limit,
                                                      std::optional<Channel> channel) = 0;
  // A claimed row's outcome, written only while the claim still holds: the
  // row is pending with the `lease_until` this claim set (another kiosk that
  // took the row after the lease ran out has set its own). False: not held,
  // nothing written.
  virtual Result<bool> markOutboxSent(std::int64_t id,
                                      std::int64_t lease_until,
                                      std::int64_t now) = 0;
  // One more failed attempt; `failed` ends the retries.
  virtual Result<bool> markOutboxAttempt(std::int64_t id,
                                         std::int64_t lease_until,
                                         int attempts,
                                         std::int64_t next_attempt_at,
                                         const std::string& error,
                                         bool failed) = 0;
  // Newest first; no status: all.
  virtual Result<std::vector<OutboxItem>> listOutbox(std::optional<OutboxStatus> status,
                                                     int limit) = 0;
  // How many rows are in `status` (the technician's backlog, the heartbeat).
  virtual Result<std::int64_t> countOutbox(OutboxStatus status, std::optional<Channel> channel) = 0;
  // Failed rows back to pending, due now (id 0: every failed row). Returns how many.
  virtual Result<int> retryOutbox(std::int64_t id, std::int64_t now) = 0;
};

enum class TxMode {
  kRead,   // a consistent snapshot
  kWrite,  // takes the write lock at once (no upgrade deadlocks)
  // A write of rows that no fleet-wide order depends on (a read mark, a
  // session's idle time, this kiosk's own signed heads), in targeted
  // statements only: on a shared database it takes row locks alone and never
  // queues behind the fleet's kWrite transactions (a send holding the lock).
  // One kiosk's file serialises it like kWrite.
  kWriteOwn,
  // A write whose first statements touch only rows of its own (a send's
  // staged attachments: most of its time), then the fleet's order: on a
  // shared database it takes the write lock at serialize() (at the latest
  // at the protocol number or the audit chain's head), so that other
  // kiosks' writes go on meanwhile. One kiosk's file serialises it like kWrite.
  kWriteLate,
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::unique_ptr<Transaction>> begin(TxMode mode) = 0;
  // Cheap liveness check for /healthz and selftest.
  virtual Status ping() = 0;
  // Commits a one-row write: storage_full or storage_unavailable when the
  // database cannot take writes (serve refuses to start; /healthz says so).
  virtual Status checkWritable() = 0;
  // Free bytes where the database lives, for the reserve; nullopt when unknown.
  virtual std::optional<std::uint64_t> freeBytes() = 0;
  // How long another desk's change to a professional's threads may take to
  // show in an answer this kiosk keeps (ListMemo): zero where checking the
  // list version is cheap (one kiosk's file); on a server, a page checked
  // that recently is answered without asking again.
  virtual std::chrono::milliseconds listNewsDelay() const { return {}; }
  // "sqlite:/path/to/file.db", for logs and selftest (no credentials).
  virtual std::string describe() const = 0;
};

// 507 storage_full when the store knows it has less than `min_free` bytes free.
inline Status checkFreeSpace(Store& store, std::uint64_t min_free) {
  if (min_free == 0) return {};
  const auto free = store.freeBytes();
  if (free && *free < min_free) {
    return fail(Error::storageFull("free " + std::to_string(*free) + " bytes, reserve " +
                                   std::to_string(min_free)));
  }
  return {};
}

}  // namespace kiosk::domain
