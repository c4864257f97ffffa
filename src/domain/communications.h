// CommunicationService: the professional's side (send, lists, thread, add a
// message, download) and the Institute's side (queue, take in charge, reply,
// close, write first) of the Comunicazione Bidirezionale.
//
// Each change is one transaction: the thread or message, its attachments,
// the audit entry and the outbox rows for its notifications commit together
// or not at all. A professional only ever sees their own threads: another's
// is "not found". Thread-safe (its one state, the ListMemo, is).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/attachments.h"
#include "domain/list_memo.h"
#include "domain/model.h"
#include "domain/ports/file_sniffer.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

struct CommOptions {
  std::string branch_code = "0000";  // INPS branch code, part of every protocol number
  // New sends and messages are refused (507 storage_full) once the disk has
  // less than this free, so that what is under way can still finish.
  std::uint64_t min_free_bytes = 0;
  // A clock before this (Unix seconds: the program's build time) is wrong (a
  // dead RTC battery): nothing is registered, so no INPS.0000.2001.… appears.
  std::int64_t min_plausible_time = 0;
  // Fair use, per professional ([fair_use]; 0: no limit): attachment bytes a
  // Rome day, and messages (new communications and additions) an hour.
  std::int64_t daily_bytes = 0;
  int sends_per_hour = 0;
};

// 503 clock_implausible when `now` is before `min_plausible_time`.
Status checkClock(std::int64_t now, std::int64_t min_plausible_time);

struct SendInput {
  std::string topic;
  std::string subject;                    // 1–150 characters
  std::string body;                       // 1–10,000 characters
  std::string extra_email;                // optional: also notified for this communication
  std::string idempotency_key;            // optional: a repeat answers the first result
  std::vector<IncomingFile> attachments;  // 0–5
};

struct SendResult {
  Communication communication;
  bool replayed = false;  // the idempotency key had been used: nothing new was registered
};

struct ThreadView {
  Communication communication;
  std::optional<ContactsVersion> contacts;  // the snapshot in force when it was created
  std::vector<Message> messages;
  std::string assigned_to;  // staff only: the display name of who took it in charge
  // Opened by its owner: their list version in the view's snapshot, unless
  // opening it changed it (marked read). Every change to a thread moves it:
  // a message is always added with an update of its thread (updated_at).
  std::optional<std::int64_t> list_version;
};

struct ReplyInput {
  std::string body;
  std::vector<IncomingFile> attachments;
};

// "INPS.0000.2026.0000042": branch code, year (Europe/Rome), sequence in the year.
std::string formatProtocol(const std::string& branch_code, int year, std::int64_t sequence);

class CommunicationService {
 public:
  CommunicationService(Store& store, const Clock& clock, FileSniffer& sniffer, CommOptions options);

  // Professional.
  // Inputs are taken by value: attachments move through, never copied.
  Result<SendResult> send(const Session& professional, SendInput input);
  // The professional's own list page as `render` writes it for the screen:
  // the answer given last time when their list version has not moved since
  // (one indexed read), else read and rendered anew (ListMemo).
  Result<ListMemo::Answer> listAnswer(const Session& professional,
                                      CommFilter filter,
                                      const std::function<std::string(const CommPage&)>& render);
  // Drops what is kept in memory of a professional's threads (their session ended).
  void forget(std::int64_t professional_id) { memo_.forget(professional_id); }
  // Marks the thread read.
  Result<ThreadView> open(const Session& professional, std::int64_t id);
  // The same as `render` writes it, kept like a list page (listAnswer).
  Result<ListMemo::Answer> openAnswer(const Session& professional,
                                      std::int64_t id,
                                      const std::function<std::string(const ThreadView&)>& render);
  Result<Message> addMessage(const Session& professional, std::int64_t id, ReplyInput input);
  Result<std::int64_t> unreadCount(const Session& professional);

  // The owner of the thread or staff.
  Result<StoredFile> attachment(const Session& who, std::int64_t attachment_id);

  // Staff.
  Result<CommPage> queue(const Session& staff, CommFilter filter);
  // The queue page as `render` writes it. Without a search, the answer given
  // last time when the queue version has not moved since (one read), as a
  // professional's list page is kept; a search is read each time.
  Result<ListMemo::Answer> queueAnswer(const Session& staff,
                                       CommFilter filter,
                                       const std::function<std::string(const CommPage&)>& render);
  Result<ThreadView> staffOpen(const Session& staff, std::int64_t id);
  Result<Communication> take(const Session& staff, std::int64_t id);
  Result<Message> reply(const Session& staff, std::int64_t id, ReplyInput input);
  Result<Communication> close(const Session& staff, std::int64_t id, const std::string& outcome);
  Result<Communication> writeFirst(const Session& staff,
                                   const std::string& codice_fiscale,
                                   SendInput input);

 private:
  // 507 storage_full when the disk is below options_.min_free_bytes.
  // The free-space reserve and a plausible clock, before anything is registered.
  Status checkReserve();
  struct Checked {
    std::string topic, subject, body, extra_email;
    std::vector<NewAttachment> attachments;
  };
  // The fields and files of a new thread, then the reserve (checkReserve).
  Result<Checked> check(SendInput input, bool with_extra_email);
  // A later message's body and files, then the reserve.
  struct CheckedReply {
    std::string body;
    std::vector<NewAttachment> attachments;
  };
  Result<CheckedReply> checkReply(ReplyInput input);
  // 429 send_rate_exceeded or daily_quota_exceeded when one more message of
  // `incoming_bytes` would pass the professional's fair-use limits; the
  // error's detail holds the seconds until it would not (Retry-After).
  Status checkFairUse(Transaction& tx,
                      std::int64_t professional_id,
                      std::int64_t incoming_bytes,
                      std::int64_t now);
  Result<ThreadView> load(std::int64_t id, std::optional<std::int64_t> owner);
  // The answer kept in `memo` for this owner and query if the version it was
  // kept at (`version_of`: a professional's list, the queue) has not moved
  // since; null when there is none.
  using VersionOf = std::function<Result<std::int64_t>(Transaction&)>;
  Result<ListMemo::Answer> keptAnswer(ListMemo& memo,
                                      std::int64_t owner,
                                      const std::string& query,
                                      const VersionOf& version_of);
  static VersionOf listVersionOf(std::int64_t owner) {
    return [owner](Transaction& tx) { return tx.listVersion(owner); };
  }
  // Commits a change to a professional's threads, then drops what is kept of
  // them and the queue's pages (ListMemo), whatever the commit answered.
  Status committed(Transaction& tx, std::int64_t professional_id);
  Result<Communication> create(Transaction& tx,
                               const Session& actor,
                               std::int64_t professional_id,
                               Box box,
                               const Checked& in,
                               std::int64_t now,
                               bool staged = false);
  Result<Message> appendMessage(Transaction& tx,
                                Communication& c,
                                Author author,
                                std::int64_t staff_id,
                                const std::string& body,
                                const std::vector<NewAttachment>& attachments,
                                std::int64_t now,
                                bool staged = false);
  Status notify(Transaction& tx, const Communication& c, NotifyEvent event, std::int64_t now);
  // Writes a thread's new state, its notifications (unless there is no `event`)
  // and the audit entry, then commits: the whole change or none of it.
  Status saveChange(Transaction& tx,
                    const Communication& c,
                    const Session& actor,
                    std::optional<NotifyEvent> event,
                    const std::string& action,
                    const std::string& detail,
                    std::int64_t now);
  // Loads a thread for a staff change inside `tx`.
  Result<Communication> forChange(Transaction& tx, const Session& staff, std::int64_t id);

  Store& store_;
  const Clock& clock_;
  FileSniffer& sniffer_;
  CommOptions options_;
  ListMemo memo_;
  // The staff's queue pages, all under one owner (kQueuePages).
  ListMemo queue_memo_;
  static constexpr std::int64_t kQueuePages = 0;
};

// Errors shared with the HTTP layer's tests.
Error closedError();
Error forbiddenError();

}  // namespace kiosk::domain
