// PgTransaction: communications, messages, attachments, lists and search, and
// the outbox, in PostgreSQL's SQL.
#include <algorithm>
#include <functional>
#include <optional>

#include "storage/postgres/pg_internal.h"

namespace kiosk::storage {

namespace {

// `f`'s filters as SQL, their values added to `params` (numbered after what
// is there).
std::string whereOf(const CommFilter& f, const domain::SearchTerms& terms, PgParams& params) {
  const int first = params.size();
  const ListWhere where = listWhere(f, terms, [first](std::size_t n) {
    return "$" + std::to_string(first + static_cast<int>(n));
  });
  for (const auto& v : where.values) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      params.add(*n);
    } else {
      params.add(std::string_view(std::get<std::string>(v)));
    }
  }
  return where.sql;
}

}  // namespace

Result<CommPage> PgTransaction::listCommunications(const CommFilter& f) {
  using Kind = domain::SearchTerms::Kind;
  const domain::SearchTerms terms = domain::searchTerms(f.q);
  if (!f.q.empty() && terms.kind == Kind::kNone) return CommPage{};  // too short: no match
  PgParams params;
  // A word search sets its own filters, numbered after its words (searchHits).
  const std::string where_sql =
      terms.kind == Kind::kWords ? std::string() : whereOf(f, terms, params);
  const std::string cap = std::to_string(CommPage::kCountCap + 1);
  const bool own = f.professional_id && terms.kind == Kind::kNone;
  const std::int64_t offset = static_cast<std::int64_t>(f.page - 1) * f.per_page;
  if (own) return ownList(where_sql, std::move(params), f.per_page, offset, *f.professional_id);
  std::string page_sql;
  CommPage page;
  if (terms.kind == Kind::kWords) {
    // The matching threads once, the newest kCountCap + 1 (their number is
    // the count) with their dates; the page is picked among them here, and
    // only its rows are read. (Picked in SQL from the 1,000 ids, the server
    // looked each one up again: most of a common word's search.)
    auto tsquery = searchQuery(terms.words);
    if (!tsquery) return fail(tsquery.error());
    if (tsquery->indexed.empty()) return CommPage{};  // a word that begins no known word
    auto hits = searchHits(*tsquery, f, terms);
    if (!hits) return fail(hits.error());
    page.total = static_cast<std::int64_t>(hits->size());
    std::vector<std::pair<std::int64_t, std::int64_t>> newest;  // (created_at, id)
    for (std::size_t i = 0; i < hits->size() && i < CommPage::kCountCap; ++i) {
      newest.emplace_back((*hits)[i].second, (*hits)[i].first);
    }
    std::sort(newest.begin(), newest.end(), std::greater<>());
    const auto from = std::min(static_cast<std::size_t>(offset), newest.size());
    const auto to = std::min(newest.size(), from + static_cast<std::size_t>(f.per_page));
    std::string ids = "{";
    for (auto i = from; i < to; ++i) {
      if (i > from) ids += ',';
      ids += std::to_string(newest[i].second);
    }
    ids += '}';
    params = PgParams().add(std::string_view(ids));
    page_sql = selectOf<Communication>() +
               "WHERE c.id = ANY($1::bigint[]) ORDER BY c.created_at DESC, c.id DESC";
  } else {
    auto total = pgScalar("SELECT count(*) FROM (SELECT 1 FROM communications c WHERE true" +
                              where_sql + " LIMIT " + cap + ") AS hits",
                          params);
    if (!total) return fail(total.error());
    page.total = *total;
    const std::string limit = std::to_string(params.size() + 1);
    params.add(f.per_page).add(offset);
    page_sql = selectOf<Communication>() + "WHERE true" + where_sql +
               " ORDER BY c.created_at DESC, c.id DESC LIMIT $" + limit + " OFFSET $" +
               std::to_string(params.size());
  }
  if (page.total > CommPage::kCountCap) {
    page.total = CommPage::kCountCap;
    page.total_capped = true;
  }
  if (page.total <= offset && !page.total_capped) return page;
  auto items = pgAll<Communication>(page_sql, params, readRow<Communication, PgRow>);
  if (!items) return fail(items.error());
  page.items = std::move(*items);
  return page;
}

// The search for `words`. Each word's tsquery: a short word as it is; a
// word's beginning as the whole words it begins when they are at most
// kTermsMax, else as a prefix. `indexed` is empty when a beginning begins no
// word. The walk goes by the rarest word by the server's statistics (which
// list the words in more than about 0.1 % of the threads); the others are
// checked on each thread it meets.
// For GIN (searchHits's way out): a word in at least kCommonShare of the
// threads goes to `checked` when a rarer word is there to find the threads:
// GIN walked a common word's list for each thread of the rare one (three
// words of a subject, one of them in a third of a million threads: 1.8 ms of
// GIN, 0.2 ms as a check of the rare word's threads).
Result<PgTransaction::SearchQuery> PgTransaction::searchQuery(
    const std::vector<domain::SearchWord>& words) {
  constexpr int kTermsMax = 32;
  constexpr double kCommonShare = 0.01;
  std::string prefixes = "{";
  for (const auto& w : words) {
    if (!w.prefix) continue;
    if (prefixes.size() > 1) prefixes += ',';
    prefixes += w.text;  // [0-9a-z]: nothing to quote in an array literal
  }
  prefixes += '}';
  std::map<std::string, std::vector<std::string>, std::less<>> known;
  if (prefixes.size() > 2) {
    auto r =
        run("SELECT w, t.term FROM unnest($1::text[]) AS w, LATERAL (SELECT term FROM search_terms "
            "WHERE term >= w AND term < w || '~' ORDER BY term LIMIT " +
                std::to_string(kTermsMax + 1) + ") AS t",
            PgParams().add(std::string_view(prefixes)));
    if (!r) return fail(r.error());
    for (int i = 0; i < r->rows(); ++i) {
      const PgRow row(*r, i);
      known[row.text(0)].push_back(row.text(1));
    }
  }
  auto shares = store_.wordShares(*this);
  if (!shares) return fail(shares.error());
  const PgStore::WordShares& known_shares = **shares;
  auto share = [&](const std::string& term) {
    auto it = known_shares.find(term);
    return it == known_shares.end() ? 0.0 : it->second;
  };
  // A beginning of more than kTermsMax words: at least the shares of the
  // common words it begins (the others are below the statistics' least).
  auto beginningShare = [&](const std::string& beginning) {
    double sum = 0;
    for (auto it = known_shares.lower_bound(beginning);
         it != known_shares.end() && it->first.starts_with(beginning); ++it) {
      sum += it->second;
    }
    return sum;
  };
  std::vector<std::pair<std::string, double>> parts;  // each word's tsquery, its share
  for (const auto& w : words) {
    if (!w.prefix) {
      parts.emplace_back("'" + w.text + "'", share(w.text));
      continue;
    }
    auto it = known.find(w.text);
    if (it == known.end()) return SearchQuery{};
    if (it->second.size() > static_cast<std::size_t>(kTermsMax)) {
      parts.emplace_back("'" + w.text + "':*", beginningShare(w.text));
      continue;
    }
    std::string any = "(";
    double sum = 0;
    for (std::size_t k = 0; k < it->second.size(); ++k) {
      any += (k ? " | '" : "'") + it->second[k] + "'";
      sum += share(it->second[k]);
    }
    parts.emplace_back(any + ')', sum);
  }
  const bool rare_one = std::any_of(parts.begin(), parts.end(),
                                    [&](const auto& p) { return p.second < kCommonShare; });
  SearchQuery q;
  // The walk: the rarest word's threads (a whole word rather than a
  // beginning at the same share), or none.
  std::size_t rarest = 0;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].second < parts[rarest].second ||
        (parts[i].second == parts[rarest].second && words[rarest].prefix && !words[i].prefix)) {
      rarest = i;
    }
  }
  // Walked when the rarest word is common but not most threads': GIN reads
  // all of a common word's threads to keep the newest 1,000 (a word in 1.3 %
  // of a million: 13,000 rows, 29 ms), where the walk reads about 1,000. A
  // rare word's few threads GIN reads at once; for a word in most threads
  // the server walks the threads themselves newest first, a few thousand
  // rows side by side (1,500 searches a second where the walk made 930).
  constexpr double kWalkedShareMax = 0.15;
  const domain::SearchWord& by = words[rarest];
  const auto begun = by.prefix ? known.find(by.text) : known.end();
  if (parts[rarest].second < kCommonShare || parts[rarest].second > kWalkedShareMax) {
    // GIN alone
  } else if (!by.prefix) {
    q.walk.push_back({by.text, "", true});
  } else if (begun != known.end() && begun->second.size() <= static_cast<std::size_t>(kTermsMax)) {
    for (const std::string& term : begun->second) q.walk.push_back({term, "", true});
  } else {
    // A beginning: its common words (the statistics', the largest few) each
    // walked newest first, and the rarer words between them as ranges, each
    // read whole and sorted (GIN's way, on a few threads each).
    constexpr std::size_t kWalkedMax = 8;
    std::vector<std::pair<double, std::string>> common;
    for (auto it = known_shares.lower_bound(by.text);
         it != known_shares.end() && it->first.starts_with(by.text); ++it) {
      common.emplace_back(it->second, it->first);
    }
    std::sort(common.begin(), common.end(), std::greater<>());
    if (common.size() > kWalkedMax) common.resize(kWalkedMax);
    std::sort(common.begin(), common.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    std::string low = by.text;
    bool from_low = true;
    for (const auto& [term_share, term] : common) {
      if (!(from_low && low == term)) q.walk.push_back({low, term, from_low});
      q.walk.push_back({term, "", true});
      low = term;
      from_low = false;
    }
    q.walk.push_back({low, by.text + '~', from_low});  // '~' sorts after [0-9a-z]
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i == rarest) continue;
    if (!q.others.empty()) q.others += " & ";
    q.others += parts[i].first;
  }
  for (const auto& [part, part_share] : parts) {
    std::string& to = rare_one && part_share >= kCommonShare ? q.checked : q.indexed;
    if (!to.empty()) to += " & ";
    to += part;
  }
  return q;
}

namespace {

// (id, created_at) rows, newest first by id: each thread once (a walk meets
// one twice in a row).
PgTransaction::SearchHits hitsOf(const PgResult& r) {
  PgTransaction::SearchHits found;
  for (int i = 0; i < r.rows(); ++i) {
    const PgRow row(r, i);
    const std::int64_t id = row.int64(0);
    if (found.empty() || found.back().first != id) found.emplace_back(id, row.int64(1));
  }
  return found;
}

}  // namespace

Result<PgTransaction::SearchHits> PgTransaction::searchHits(const SearchQuery& q,
                                                            const CommFilter& f,
                                                            const domain::SearchTerms& terms) {
  if (!q.walk.empty()) {
    auto walked = walkHits(q, f, terms);
    if (!walked) return fail(walked.error());
    if (*walked) return std::move(**walked);
  }
  PgParams params;
  params.add(std::string_view(q.indexed));
  std::string words = " AND c.search_words @@ to_tsquery('pg_catalog.simple', $1)";
  if (!q.checked.empty()) {
    // The function, not the operator: a check of each row found, never
    // planned as an index condition.
    params.add(std::string_view(q.checked));
    words += " AND ts_match_vq(c.search_words, to_tsquery('pg_catalog.simple', $2))";
  }
  const std::string where = whereOf(f, terms, params);
  auto r = run("SELECT c.id, c.created_at FROM communications c WHERE true" + words + where +
                   " ORDER BY c.id DESC LIMIT " + std::to_string(CommPage::kCountCap + 1),
               params);
  if (!r) return fail(r.error());
  return hitsOf(*r);
}

// The walk through search_postings: each part's threads newest first, merged
// (a thread with two words of a beginning comes twice, one after the other),
// each looked up for the other words and the filters until kCountCap + 1 are
// found. A walk that met kSearchWalk threads of its word before that (the
// words are seldom together) gives way to GIN: no hits.
Result<std::optional<PgTransaction::SearchHits>> PgTransaction::walkHits(
    const SearchQuery& q, const CommFilter& f, const domain::SearchTerms& terms) {
  constexpr int kSearchWalk = 4000;  // 4,000 lookups: 5 ms
  const auto cap = static_cast<std::size_t>(CommPage::kCountCap + 1);
  PgParams walk_params;
  auto mark = [&walk_params](const std::string& value) {
    walk_params.add(std::string_view(value));
    return "$" + std::to_string(walk_params.size());
  };
  // Each run ordered and limited by itself: the planner then merges them
  // (Merge Append) and stops with the walk; as one union it read them whole.
  std::string runs;
  for (const WalkPart& part : q.walk) {
    if (!runs.empty()) runs += " UNION ALL ";
    runs += "(SELECT communication_id AS id FROM search_postings WHERE term ";
    if (part.high.empty()) {
      runs += "= " + mark(part.low);
    } else {
      runs += (part.from_low ? ">= " : "> ") + mark(part.low);
      runs += " AND term < " + mark(part.high);
    }
    runs += " ORDER BY 1 DESC LIMIT " + std::to_string(kSearchWalk + 1) + ")";  // + 1: see `seen`
  }
  PgParams params = walk_params;
  std::string sql = "SELECT c.id, c.created_at FROM (SELECT id FROM (" + runs +
                    ") AS u ORDER BY id DESC LIMIT " + std::to_string(kSearchWalk) +
                    ") AS d JOIN communications c ON c.id = d.id WHERE true";
  if (!q.others.empty()) {
    params.add(std::string_view(q.others));
    sql += " AND ts_match_vq(c.search_words, to_tsquery('pg_catalog.simple', $" +
           std::to_string(params.size()) + "))";
  }
  sql += whereOf(f, terms, params);
  // The limit a figure: as a parameter, the server planned for every row.
  sql += " ORDER BY d.id DESC LIMIT ";
  SearchHits found;
  for (std::int64_t limit = static_cast<std::int64_t>(cap);; limit *= 2) {
    auto r = run(sql + std::to_string(limit), params);
    if (!r) return fail(r.error());
    found = hitsOf(*r);
    if (found.size() >= cap || r->rows() < limit) break;  // else: twice-met threads, read on
  }
  if (found.size() >= cap) {
    found.resize(cap);
    return std::optional<SearchHits>(std::move(found));
  }
  // Fewer: all of the word's threads were seen, unless the walk stopped.
  auto seen = pgScalar("SELECT count(*) FROM (SELECT 1 FROM (" + runs + ") AS u LIMIT " +
                           std::to_string(kSearchWalk + 1) + ") AS n",
                       walk_params);
  if (!seen) return fail(seen.error());
  if (*seen > kSearchWalk) return std::optional<SearchHits>();
  return std::optional<SearchHits>(std::move(found));
}

// A professional's own list in one statement, so one round trip: the page,
// each row carrying the count of the whole list (a few hundred rows at most,
// counted whole) and the list version. An empty page has no row to say them:
// then they are read alone, in the same snapshot (an empty box is kept and
// answered from memory as any other page).
Result<CommPage> PgTransaction::ownList(const std::string& where,
                                        PgParams params,
                                        int per_page,
                                        std::int64_t offset,
                                        std::int64_t professional_id) {
  // The count as a sub-select with the same filters: an index-only scan,
  // where count(*) OVER () would read every one of the owner's rows. The
  // list version comes from the same snapshot as the page.
  params.add(professional_id);
  const std::string heads = "(SELECT count(*) FROM communications c WHERE true" + where +
                            "), (SELECT list_version FROM professionals WHERE id = $" +
                            std::to_string(params.size()) + ")";
  const PgParams heads_params = params;  // for an empty page (below)
  std::string columns = ownCommSelect();
  columns.insert(columns.find(" FROM communications c"), ", " + heads);
  const std::string limit = std::to_string(params.size() + 1);
  params.add(per_page).add(offset);
  auto r = run(columns + "WHERE true" + where + " ORDER BY c.created_at DESC, c.id DESC LIMIT $" +
                   limit + " OFFSET $" + std::to_string(params.size()),
               params);
  if (!r) return fail(r.error());
  CommPage page;
  constexpr int kCountColumn = 17;
  constexpr int kVersionColumn = 18;
  for (int i = 0; i < r->rows(); ++i) {
    const PgRow row(*r, i);
    page.items.push_back(readRow<Communication>(row));
    page.total = row.int64(kCountColumn);
  }
  if (!page.items.empty()) {
    page.list_version = PgRow(*r, 0).int64(kVersionColumn);
    return page;
  }
  auto r2 = run("SELECT " + heads, heads_params);
  if (!r2) return fail(r2.error());
  page.total = PgRow(*r2, 0).int64(0);
  if (!r2->null(0, 1)) page.list_version = PgRow(*r2, 0).int64(1);  // else: no such professional
  return page;
}

Result<std::optional<StoredFile>> PgTransaction::attachmentById(std::int64_t id) {
  // Binary results, so the bytes come as they are (no hex round trip); the
  // other columns are cast to text, whose binary form is the text itself.
  auto r =
      run("SELECT a.id::text, a.filename, a.content_type, a.size::text, a.sha256, a.content, "
          "c.professional_id::text FROM attachments a JOIN messages m ON m.id = a.message_id "
          "JOIN communications c ON c.id = m.communication_id WHERE a.id = $1::bigint",
          PgParams().add(id), 1);
  if (!r) return fail(r.error());
  if (r->rows() == 0) return std::optional<StoredFile>();
  const PgRow q(*r, 0);
  StoredFile f;
  f.meta = {q.int64(0), q.text(1), q.text(2), q.int64(3), q.text(4)};
  f.data = q.bytes(5);
  f.professional_id = q.int64(6);
  return std::optional<StoredFile>(std::move(f));
}

// --- outbox --------------------------------------------------------------

Result<std::vector<OutboxItem>> PgTransaction::claimOutbox(std::int64_t now,
                                                           std::int64_t lease_until,
                                                           int limit,
                                                           std::optional<Channel> channel) {
  // SKIP LOCKED: dispatchers of other kiosks pass over rows being claimed; the
  // lease keeps a claimed row away from them until it expires (a kiosk killed
  // mid-dispatch leaves its claims to expire). Items carry their due time as
  // it was before the claim, as on SQLite.
  // `claimed` has the outbox's columns, due time and in_flight as they were,
  // and is read with the outbox's own column list.
  static const std::string q = [] {
    std::string select = selectOf<OutboxItem>();
    const std::string_view table = "FROM outbox o ";
    select.replace(select.find(table), table.size(), "FROM claimed o ");
    return "WITH due AS (SELECT id, next_attempt_at, in_flight FROM outbox WHERE status = "
           "'pending' AND next_attempt_at <= $1 AND ($4 = '' OR channel = $4) "
           "ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED), "
           "claimed AS (UPDATE outbox o SET next_attempt_at = $2, in_flight = 1 FROM due "
           "WHERE o.id = due.id RETURNING o.id, o.communication_id, o.event, o.channel, "
           "o.recipient, o.status, o.attempts, due.next_attempt_at, o.last_error, o.created_at, "
           "o.message_id, due.in_flight) " +
           select + "ORDER BY o.id";
  }();
  const std::string_view only = channel ? nameOf(*channel) : std::string_view("");
  return pgAll<OutboxItem>(q, PgParams().add(now).add(lease_until).add(limit).add(only),
                           readRow<OutboxItem, PgRow>);
}

}  // namespace kiosk::storage
