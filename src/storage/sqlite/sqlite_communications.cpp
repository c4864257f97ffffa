// SqliteTransaction: communications, messages, attachments and the outbox.
#include "storage/sqlite/sqlite_internal.h"

namespace kiosk::storage {

Result<std::int64_t> SqliteTransaction::nextProtocolNumber(int year) {
  auto q = query(
      "INSERT INTO protocol_counters (year, last) VALUES (?, 1) "
      "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last");
  if (!q) return fail(q.error());
  q->bind(year);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Result<std::optional<std::int64_t>> SqliteTransaction::findIdempotencyKey(
    std::int64_t professional_id, std::string_view key) {
  auto q =
      query("SELECT communication_id FROM idempotency_keys WHERE professional_id = ? AND key = ?");
  if (!q) return fail(q.error());
  q->bind(professional_id).bind(key);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(q->int64(0));
}

Status SqliteTransaction::saveIdempotencyKey(std::int64_t professional_id,
                                             std::string_view key,
                                             std::int64_t communication_id,
                                             std::int64_t now) {
  auto q = query(
      "INSERT INTO idempotency_keys (professional_id, key, communication_id, created_at) "
      "VALUES (?, ?, ?, ?)");
  if (!q) return fail(q.error());
  return q->bind(professional_id).bind(key).bind(communication_id).bind(now).run();
}

Result<std::int64_t> SqliteTransaction::insertCommunication(const Communication& c) {
  auto q = query(
      "INSERT INTO communications (protocol, professional_id, box, topic, subject, status, "
      "outcome, contacts_version_id, extra_email, unread, assigned_staff_id, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  q->bind(c.protocol)
      .bind(c.professional_id)
      .bind(domain::nameOf(c.box))
      .bind(c.topic)
      .bind(c.subject)
      .bind(domain::nameOf(c.status))
      .bind(c.outcome)
      .bindId(c.contacts_version_id)
      .bind(c.extra_email)
      .bind(c.unread ? 1 : 0)
      .bindId(c.assigned_staff_id)
      .bind(c.created_at)
      .bind(c.updated_at);
  if (auto st = q->run(); !st) return fail(st.error());
  const std::int64_t id = sqlite3_last_insert_rowid(conn_->db());
  // The staff's search index, in the same transaction.
  auto s = query(
      "INSERT INTO communications_words (rowid, words) "
      "SELECT id, words FROM communications_words_text WHERE id = ?");
  if (!s) return fail(s.error());
  if (auto st = s->bind(id).run(); !st) return fail(st.error());
  return id;
}

Result<std::int64_t> SqliteTransaction::insertMessage(const Message& m) {
  auto q = query(
      "INSERT INTO messages (communication_id, author, staff_id, body, created_at) "
      "VALUES (?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  q->bind(m.communication_id)
      .bind(domain::nameOf(m.author))
      .bindId(m.staff_id)
      .bind(m.body)
      .bind(m.created_at);
  if (auto st = q->run(); !st) return fail(st.error());
  return sqlite3_last_insert_rowid(conn_->db());
}

Result<std::int64_t> SqliteTransaction::insertAttachment(std::int64_t message_id,
                                                         const NewAttachment& a) {
  auto q = query(
      "INSERT INTO attachments (message_id, filename, content_type, size, sha256, content) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!q) return fail(q.error());
  files_in_cache_ = true;
  q->bind(message_id)
      .bind(a.filename)
      .bind(a.content_type)
      .bind(static_cast<std::int64_t>(a.data.size()))
      .bind(a.sha256)
      .bindBlob(a.data);
  if (auto st = q->run(); !st) return fail(st.error());
  return sqlite3_last_insert_rowid(conn_->db());
}

Result<std::optional<Communication>> SqliteTransaction::communicationById(std::int64_t id) {
  static const std::string sql = std::string(kCommColumns) + "WHERE c.id = ?";
  return one<Communication>(sql.c_str(), id, readComm<Query>);
}

Result<std::optional<Communication>> SqliteTransaction::communicationByProtocol(
    std::string_view protocol) {
  static const std::string sql = std::string(kCommColumns) + "WHERE c.protocol = ?";
  return one<Communication>(sql.c_str(), protocol, readComm<Query>);
}

namespace {

void bindWhere(Query& q, const ListWhere& where) {
  for (const auto& v : where.values) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      q.bind(*n);
    } else {
      q.bind(std::get<std::string>(v));
    }
  }
}

}  // namespace

// The ids of the threads matching `match` and the filters: all of them when
// there are at most kCountCap, else the kCountCap newest; and their count
// (kCountCap + 1: more). FTS5 walks its index oldest first cheaply, seeking
// by the rarest word; newest first it reads the words' lists whole, so that
// is done only when the matches are too many to take all.
Result<std::pair<std::string, std::int64_t>> SqliteTransaction::searchHits(const std::string& match,
                                                                           const ListWhere& where) {
  const std::string cap = std::to_string(CommPage::kCountCap + 1);
  // The thread's row is read only for a filter on it: each word row stands
  // for a thread (both written in one transaction), and for a common word the
  // join was 2,000 table seeks.
  const std::string hits =
      "SELECT communications_words.rowid FROM communications_words" +
      std::string(
          where.sql.empty() ? "" : " JOIN communications c ON c.id = communications_words.rowid") +
      " WHERE communications_words MATCH ?" + where.sql + " ORDER BY communications_words.rowid ";
  std::vector<std::int64_t> ids;
  for (const char* order : {"ASC LIMIT ", "DESC LIMIT "}) {
    ids.clear();
    const std::string sql = hits + order + cap;
    auto q = query(sql.c_str());
    if (!q) return fail(q.error());
    q->bind(match);
    bindWhere(*q, where);
    if (auto st = q->each([&](Query& row) { ids.push_back(row.int64(0)); }); !st)
      return fail(st.error());
    if (ids.size() <= static_cast<std::size_t>(CommPage::kCountCap)) break;
  }
  const auto count = static_cast<std::int64_t>(ids.size());
  if (ids.size() > static_cast<std::size_t>(CommPage::kCountCap)) ids.pop_back();
  std::string json = "[";
  for (std::int64_t id : ids) {
    if (json.size() > 1) json += ',';
    json += std::to_string(id);
  }
  json += ']';
  return std::pair{std::move(json), count};
}

Result<CommPage> SqliteTransaction::listCommunications(const CommFilter& f) {
  using Kind = domain::SearchTerms::Kind;
  const domain::SearchTerms terms = domain::searchTerms(f.q);
  if (!f.q.empty() && terms.kind == Kind::kNone) return CommPage{};  // too short: no match
  // Fixed fragments; every value is bound.
  const ListWhere where = listWhere(f, terms, [](std::size_t) { return "?"; });
  const std::string cap = std::to_string(CommPage::kCountCap + 1);
  // A professional's own list is counted whole (an index range of a few
  // hundred at most); the staff's queue and search count up to the cap.
  const bool own = f.professional_id && terms.kind == Kind::kNone;
  std::string count_sql;
  std::string page_sql;
  std::string match;
  std::string hits_json;  // kWords: the matching ids, as a JSON array
  std::int64_t hits = 0;  // kWords: their count
  if (terms.kind == Kind::kWords) {
    // Every word: "word"* its beginning (a prefix index), "word" a whole one.
    // Words hold [0-9a-z] only, so the quotes need no escaping.
    for (const domain::SearchWord& word : terms.words) {
      match += match.empty() ? "\"" : " AND \"";
      match += word.text;
      match += word.prefix ? "\"*" : "\"";
    }
    auto found = searchHits(match, where);
    if (!found) return fail(found.error());
    hits_json = std::move(found->first);
    hits = found->second;
    // The page's ids are picked from the table alone; the owner and who wrote
    // last are read for those rows only, not for each of up to 1,000 hits.
    page_sql = std::string(kCommColumns) +
               "WHERE c.id IN (SELECT h.id FROM communications h WHERE h.id IN "
               "(SELECT value FROM json_each(?)) ORDER BY h.created_at DESC, h.id DESC "
               "LIMIT ? OFFSET ?) ORDER BY c.created_at DESC, c.id DESC";
  } else {
    count_sql = own ? "SELECT count(*) FROM communications c WHERE 1 = 1" + where.sql
                    : "SELECT count(*) FROM (SELECT 1 FROM communications c WHERE 1 = 1" +
                          where.sql + " LIMIT " + cap + ")";
    page_sql = std::string(own ? kOwnCommColumns : kCommColumns) + "WHERE 1 = 1" + where.sql +
               " ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?";
  }
  auto bindAll = [&](Query& q) {
    if (!hits_json.empty()) {
      q.bind(hits_json);
      return;
    }
    bindWhere(q, where);
  };
  CommPage page;
  if (terms.kind == Kind::kWords) {
    page.total = hits;
  } else {
    auto q = query(count_sql.c_str());
    if (!q) return fail(q.error());
    bindAll(*q);
    auto row = q->step();
    if (!row) return fail(row.error());
    page.total = q->int64(0);
  }
  if (!own && page.total > CommPage::kCountCap) {
    page.total = CommPage::kCountCap;
    page.total_capped = true;
  }
  const std::int64_t offset = static_cast<std::int64_t>(f.page - 1) * f.per_page;
  if (page.total <= offset && !page.total_capped) return page;
  auto q = query(page_sql.c_str());
  if (!q) return fail(q.error());
  bindAll(*q);
  q->bind(f.per_page).bind(offset);
  if (auto st = q->each([&](Query& row) { page.items.push_back(readComm(row)); }); !st)
    return fail(st.error());
  return page;
}

Result<std::vector<Message>> SqliteTransaction::messagesOf(std::int64_t communication_id) {
  std::vector<Message> out;
  {
    static const std::string sql =
        std::string(kMessageColumns) + "WHERE communication_id = ? ORDER BY id";
    auto q = query(sql.c_str());
    if (!q) return fail(q.error());
    q->bind(communication_id);
    if (auto st = q->each([&](Query& row) { out.push_back(readMessage(row, communication_id)); });
        !st)
      return fail(st.error());
  }
  auto q = query(
      "SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256 "
      "FROM attachments a JOIN messages m ON m.id = a.message_id "
      "WHERE m.communication_id = ? ORDER BY a.id");
  if (!q) return fail(q.error());
  q->bind(communication_id);
  auto attach = [&](Query& row) {
    const std::int64_t message_id = row.int64(1);
    for (auto& m : out) {
      if (m.id == message_id) {
        m.attachments.push_back(
            {row.int64(0), row.text(2), row.text(3), row.int64(4), row.text(5)});
      }
    }
  };
  if (auto st = q->each(attach); !st) return fail(st.error());
  return out;
}

Status SqliteTransaction::updateCommunication(const Communication& c) {
  auto q = query(
      "UPDATE communications SET status = ?, outcome = ?, unread = ?, assigned_staff_id = ?, "
      "updated_at = ? WHERE id = ?");
  if (!q) return fail(q.error());
  return q->bind(domain::nameOf(c.status))
      .bind(c.outcome)
      .bind(c.unread ? 1 : 0)
      .bindId(c.assigned_staff_id)
      .bind(c.updated_at)
      .bind(c.id)
      .run();
}

Result<std::optional<StoredFile>> SqliteTransaction::attachmentById(std::int64_t id) {
  files_in_cache_ = true;
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

Result<std::int64_t> SqliteTransaction::unreadCount(std::int64_t professional_id) {
  auto q = query("SELECT count(*) FROM communications WHERE professional_id = ? AND unread = 1");
  if (!q) return fail(q.error());
  q->bind(professional_id);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Result<std::vector<domain::SentSize>> SqliteTransaction::professionalSends(
    std::int64_t professional_id, std::int64_t since) {
  auto q = query(
      "SELECT m.created_at, (SELECT coalesce(sum(a.size), 0) FROM attachments a "
      "WHERE a.message_id = m.id) FROM communications c JOIN messages m "
      "ON m.communication_id = c.id WHERE c.professional_id = ? AND m.author = 'professional' "
      "AND m.created_at >= ? ORDER BY m.created_at, m.id");
  if (!q) return fail(q.error());
  q->bind(professional_id).bind(since);
  std::vector<domain::SentSize> out;
  if (auto st = q->each([&](Query& row) { out.push_back({row.int64(0), row.int64(1)}); }); !st) {
    return fail(st.error());
  }
  return out;
}

Status SqliteTransaction::insertOutbox(const OutboxRow& r) {
  auto q = query(
      "INSERT INTO outbox (communication_id, event, channel, recipient, next_attempt_at, "
      "created_at, message_id) VALUES (?, ?, ?, ?, ?, ?, nullif(?, 0))");
  if (!q) return fail(q.error());
  return q->bind(r.communication_id)
      .bind(nameOf(r.event))
      .bind(nameOf(r.channel))
      .bind(r.recipient)
      .bind(r.created_at)
      .bind(r.created_at)
      .bind(r.message_id)
      .run();
}

Result<std::int64_t> SqliteTransaction::lastOutboxAt(std::int64_t communication_id,
                                                     domain::NotifyEvent event) {
  auto q = query(
      "SELECT coalesce(max(created_at), 0) FROM outbox WHERE communication_id = ? AND event = ?");
  if (!q) return fail(q.error());
  q->bind(communication_id).bind(nameOf(event));
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Result<std::vector<OutboxItem>> SqliteTransaction::claimOutbox(std::int64_t now,
                                                               std::int64_t lease_until,
                                                               int limit,
                                                               std::optional<Channel> channel) {
  // The write transaction already holds SQLite's lock: nobody else claims.
  std::vector<OutboxItem> out;
  {
    static const std::string sql = std::string(kOutboxColumns) +
                                   "WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
                                   "AND (? = '' OR o.channel = ?) ORDER BY o.id LIMIT ?";
    auto q = query(sql.c_str());
    if (!q) return fail(q.error());
    const std::string_view only = channel ? nameOf(*channel) : std::string_view("");
    q->bind(now).bind(only).bind(only).bind(limit);
    if (auto st = q->each([&](Query& row) { out.push_back(readOutbox(row)); }); !st)
      return fail(st.error());
  }
  for (const auto& o : out) {
    auto q = query("UPDATE outbox SET next_attempt_at = ?, in_flight = 1 WHERE id = ?");
    if (!q) return fail(q.error());
    if (auto st = q->bind(lease_until).bind(o.id).run(); !st) return fail(st.error());
  }
  return out;
}

Result<bool> SqliteTransaction::markOutboxSent(std::int64_t id,
                                               std::int64_t lease_until,
                                               std::int64_t now) {
  auto q = query(
      "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, in_flight = 0 "
      "WHERE id = ? AND status = 'pending' AND next_attempt_at = ?");
  if (!q) return fail(q.error());
  if (auto st = q->bind(now).bind(id).bind(lease_until).run(); !st) return fail(st.error());
  return sqlite3_changes(conn_->db()) == 1;
}

Result<bool> SqliteTransaction::markOutboxAttempt(std::int64_t id,
                                                  std::int64_t lease_until,
                                                  int attempts,
                                                  std::int64_t next_attempt_at,
                                                  const std::string& error,
                                                  bool failed) {
  auto q = query(
      "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, status = ?, "
      "in_flight = 0 WHERE id = ? AND status = 'pending' AND next_attempt_at = ?");
  if (!q) return fail(q.error());
  if (auto st = q->bind(attempts)
                    .bind(next_attempt_at)
                    .bind(error)
                    .bind(std::string_view(failed ? "failed" : "pending"))
                    .bind(id)
                    .bind(lease_until)
                    .run();
      !st) {
    return fail(st.error());
  }
  return sqlite3_changes(conn_->db()) == 1;
}

Result<std::vector<OutboxItem>> SqliteTransaction::listOutbox(std::optional<OutboxStatus> status,
                                                              int limit) {
  static const std::string all = std::string(kOutboxColumns) + "ORDER BY o.id DESC LIMIT ?";
  static const std::string some =
      std::string(kOutboxColumns) + "WHERE o.status = ? ORDER BY o.id DESC LIMIT ?";
  auto q = query(status ? some.c_str() : all.c_str());
  if (!q) return fail(q.error());
  if (status) q->bind(nameOf(*status));
  q->bind(limit);
  std::vector<OutboxItem> out;
  if (auto st = q->each([&](Query& row) { out.push_back(readOutbox(row)); }); !st)
    return fail(st.error());
  return out;
}

Result<std::int64_t> SqliteTransaction::countOutbox(OutboxStatus status,
                                                    std::optional<Channel> channel) {
  auto q = query("SELECT count(*) FROM outbox WHERE status = ? AND (? = '' OR channel = ?)");
  if (!q) return fail(q.error());
  const std::string_view only = channel ? nameOf(*channel) : std::string_view("");
  q->bind(nameOf(status)).bind(only).bind(only);
  auto row = q->step();
  if (!row) return fail(row.error());
  return q->int64(0);
}

Result<int> SqliteTransaction::retryOutbox(std::int64_t id, std::int64_t now) {
  auto q =
      query(id == 0 ? "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, "
                      "in_flight = 0 WHERE status = 'failed' AND ? = 0"
                    : "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, "
                      "in_flight = 0 WHERE status = 'failed' AND id = ?");
  if (!q) return fail(q.error());
  if (auto st = q->bind(now).bind(id).run(); !st) return fail(st.error());
  return sqlite3_changes(conn_->db());
}

}  // namespace kiosk::storage
