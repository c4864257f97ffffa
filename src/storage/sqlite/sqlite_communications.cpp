// SqliteTransaction: communications, messages, attachments and the outbox.
#include <algorithm>
#include <functional>

#include "storage/sqlite/sqlite_internal.h"

namespace kiosk::storage {

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
Result<SqliteTransaction::SearchHits> SqliteTransaction::searchHits(const std::string& match,
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
  SearchHits found;
  found.count = static_cast<std::int64_t>(ids.size());
  if (ids.size() > static_cast<std::size_t>(CommPage::kCountCap)) ids.pop_back();
  std::sort(ids.begin(), ids.end(), std::greater<>());
  found.newest_first = std::move(ids);
  return found;
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
    hits = found->count;
    hits_json = "[";
    for (std::int64_t id : found->newest_first) {
      if (hits_json.size() > 1) hits_json += ',';
      hits_json += std::to_string(id);
    }
    hits_json += ']';
    // The page's ids are picked from the table alone; the owner and who wrote
    // last are read for those rows only, not for each of up to 1,000 hits.
    // Picked by looking each hit up (a seek each, in rows all over the file:
    // 1,000 for a word in 1 % of a million threads) or by walking the date
    // index from the newest thread until the page is complete: an entry for
    // each thread newer than the page's last hit, read in order, where a
    // seek costs some thirty entries' reading. A hit far down (one old thread
    // found by its protocol's digits) is looked up.
    bool walk = false;
    if (!found->newest_first.empty()) {
      auto newest = scalar("SELECT coalesce(max(id), 0) FROM communications", SqlParams());
      if (!newest) return fail(newest.error());
      const auto& ids = found->newest_first;
      const std::size_t last = std::min(ids.size(), static_cast<std::size_t>(f.page) * f.per_page);
      walk = *newest - ids[last - 1] < 30 * static_cast<std::int64_t>(ids.size());
    }
    page_sql = selectOf<Communication>() + "WHERE c.id IN (SELECT h.id FROM communications h " +
               (walk ? "INDEXED BY communications_by_date " : "") +
               "WHERE h.id IN (SELECT value FROM json_each(?)) ORDER BY h.created_at DESC, "
               "h.id DESC LIMIT ? OFFSET ?) ORDER BY c.created_at DESC, c.id DESC";
  } else {
    count_sql = own ? "SELECT count(*) FROM communications c WHERE 1 = 1" + where.sql
                    : "SELECT count(*) FROM (SELECT 1 FROM communications c WHERE 1 = 1" +
                          where.sql + " LIMIT " + cap + ")";
    page_sql = (own ? ownCommSelect() : selectOf<Communication>()) + "WHERE 1 = 1" + where.sql +
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
  if (own) {
    // Read first, in the same snapshot as the page (see CommPage).
    auto version = listVersion(*f.professional_id);
    if (!version) return fail(version.error());
    page.list_version = *version;
  }
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
  if (auto st = q->each([&](Query& row) { page.items.push_back(readRow<Communication>(row)); });
      !st)
    return fail(st.error());
  return page;
}

Result<std::optional<StoredFile>> SqliteTransaction::attachmentById(std::int64_t id) {
  files_in_cache_ = true;
  return oneRow<StoredFile>(
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

Result<std::vector<OutboxItem>> SqliteTransaction::claimOutbox(std::int64_t now,
                                                               std::int64_t lease_until,
                                                               int limit,
                                                               std::optional<Channel> channel) {
  // The write transaction already holds SQLite's lock: nobody else claims.
  std::vector<OutboxItem> out;
  {
    static const std::string sql = selectOf<OutboxItem>() +
                                   "WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
                                   "AND (? = '' OR o.channel = ?) ORDER BY o.id LIMIT ?";
    auto q = query(sql.c_str());
    if (!q) return fail(q.error());
    const std::string_view only = channel ? nameOf(*channel) : std::string_view("");
    q->bind(now).bind(only).bind(only).bind(limit);
    if (auto st = q->each([&](Query& row) { out.push_back(readRow<OutboxItem>(row)); }); !st)
      return fail(st.error());
  }
  for (const auto& o : out) {
    auto q = query("UPDATE outbox SET next_attempt_at = ?, in_flight = 1 WHERE id = ?");
    if (!q) return fail(q.error());
    if (auto st = q->bind(lease_until).bind(o.id).run(); !st) return fail(st.error());
  }
  return out;
}

}  // namespace kiosk::storage
