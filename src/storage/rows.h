// Row readers shared by the engines: each engine's row type (SQLite's Query,
// PostgreSQL's PgRow) offers text(col), int64(col) and integer(col), and the
// tables below (each column beside the field it fills) are the same SQL on both.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/log.h"
#include "domain/model.h"

namespace kiosk::storage {

// The domain's values, as both engines name them.
using domain::AccountKind;
using domain::AuditEntry;
using domain::Channel;
using domain::CommFilter;
using domain::CommPage;
using domain::Communication;
using domain::Contacts;
using domain::ContactsSource;
using domain::ContactsVersion;
using domain::LoginState;
using domain::Message;
using domain::nameOf;
using domain::NewAttachment;
using domain::OutboxItem;
using domain::OutboxRow;
using domain::OutboxStatus;
using domain::PinResetWindow;
using domain::Professional;
using domain::Role;
using domain::Session;
using domain::StaffUser;
using domain::StoredFile;

inline std::string joinChannels(const std::vector<std::string>& channels) {
  std::string out;
  for (const auto& c : channels) {
    if (!out.empty()) out += ',';
    out += c;
  }
  return out;
}

inline std::vector<std::string> splitChannels(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// A stored name read back as its enum. The kiosk writes only the domain's
// names (the columns are CHECKed), so an unknown one means the database was
// changed outside it: said in the log (stored_value_unknown, counted in
// /metrics by kiosk_log_events_total) and read as `fallback`.
template <typename E>
E storedName(std::string_view text, std::string_view column, E fallback) {
  if (auto e = domain::parseName<E>(text)) return *e;
  log::warn("stored_value_unknown",
            {{"column", std::string(column)}, {"value", std::string(text.substr(0, 40))}});
  return fallback;
}

inline domain::Role parseRole(std::string_view text) {
  return storedName(text, "role", domain::Role::kProfessional);
}

// One column of a table: its SQL (a name or an expression) beside the field
// it is read into, so that the SELECT list and the reader cannot disagree.
template <typename F>
struct Col {
  const char* sql;
  F& field;
};
// A column that holds one of the domain's names, read back with storedName().
template <typename E>
struct NamedCol {
  const char* sql;
  E& field;
  E fallback;
};
// A text column read as whether it equals `text`.
struct TextIsCol {
  const char* sql;
  bool& field;
  const char* text;
};

template <typename F>
Col<F> col(const char* sql, F& field) {
  return {sql, field};
}
template <typename E>
NamedCol<E> col(const char* sql, E& field, E fallback) {
  return {sql, field, fallback};
}
inline TextIsCol col(const char* sql, bool& field, const char* text) { return {sql, field, text}; }

// A table: what follows the SELECT list (FROM and any JOIN), and its columns.
template <typename... Cols>
struct Table {
  const char* from;
  std::tuple<Cols...> cols;
};
template <typename... Cols>
Table<Cols...> table(const char* from, Cols... cols) {
  return {from, {cols...}};
}

// One column into one field, as the field's type says.
template <typename Row>
void loadColumn(const Row& q, int i, Col<std::int64_t> c) {
  c.field = q.int64(i);
}
template <typename Row>
void loadColumn(const Row& q, int i, Col<int> c) {
  c.field = q.integer(i);
}
template <typename Row>
void loadColumn(const Row& q, int i, Col<bool> c) {
  c.field = q.integer(i) != 0;
}
template <typename Row>
void loadColumn(const Row& q, int i, Col<std::string> c) {
  c.field = q.text(i);
}
template <typename Row>
void loadColumn(const Row& q, int i, Col<std::vector<std::string>> c) {
  c.field = splitChannels(q.text(i));
}
template <typename Row, typename E>
void loadColumn(const Row& q, int i, NamedCol<E> c) {
  c.field = storedName(q.text(i), c.sql, c.fallback);
}
template <typename Row>
void loadColumn(const Row& q, int i, TextIsCol c) {
  c.field = q.text(i) == c.text;
}

// Each table the kiosk reads whole rows of, column beside field.
inline auto tableOf(domain::Professional& p) {
  return table("FROM professionals ", col("id", p.id), col("codice_fiscale", p.codice_fiscale),
               col("surname", p.surname), col("name", p.name), col("pin_hash", p.pin_hash),
               col("failed_attempts", p.login.failed_attempts),
               col("locked_until", p.login.locked_until), col("pin_reset_until", p.pin_reset.until),
               col("pin_reset_code", p.pin_reset.code_hash),
               col("pin_reset_wrong", p.pin_reset.wrong_codes));
}

inline auto tableOf(domain::ContactsVersion& v) {
  return table(
      "FROM contact_versions ", col("id", v.id), col("version", v.version),
      col("pec", v.contacts.pec), col("email", v.contacts.email), col("mobile", v.contacts.mobile),
      col("phone", v.contacts.phone), col("fax", v.contacts.fax), col("notify", v.contacts.notify),
      col("source", v.source, domain::ContactsSource::kArchive), col("created_at", v.created_at));
}

inline auto tableOf(domain::StaffUser& u) {
  return table("FROM staff_users ", col("id", u.id), col("username", u.username),
               col("display_name", u.display_name), col("role", u.role, Role::kProfessional),
               col("password_hash", u.password_hash),
               col("failed_attempts", u.login.failed_attempts),
               col("locked_until", u.login.locked_until));
}

inline auto tableOf(domain::Session& s) {
  return table("FROM sessions ", col("id", s.id), col("token_hash", s.token_hash),
               col("role", s.role, Role::kProfessional), col("subject_id", s.subject_id),
               col("display_name", s.display_name), col("csrf_token", s.csrf_token),
               col("created_at", s.created_at), col("last_seen", s.last_seen),
               col("principal", s.principal));
}

// A thread, with its owner and who wrote last for the staff; a professional's
// own list (`own`) leaves those out, so no join nor subquery for each row.
inline auto tableOf(domain::Communication& c, bool own = false) {
  return table(own ? "FROM communications c "
                   : "FROM communications c JOIN professionals p ON p.id = c.professional_id ",
               col("c.id", c.id), col("c.protocol", c.protocol),
               col("c.professional_id", c.professional_id), col("c.box", c.box, domain::Box::kSent),
               col("c.topic", c.topic), col("c.subject", c.subject),
               col("c.status", c.status, domain::CommStatus::kAperta), col("c.outcome", c.outcome),
               col("coalesce(c.contacts_version_id, 0)", c.contacts_version_id),
               col("c.extra_email", c.extra_email), col("c.unread", c.unread),
               col("coalesce(c.assigned_staff_id, 0)", c.assigned_staff_id),
               col("c.created_at", c.created_at), col("c.updated_at", c.updated_at),
               col(own ? "''" : "p.codice_fiscale", c.codice_fiscale),
               col(own ? "''" : "p.name || ' ' || p.surname", c.professional_name),
               col(own ? "''"
                       : "(SELECT m.author FROM messages m WHERE m.communication_id = c.id "
                         "ORDER BY m.id DESC LIMIT 1)",
                   c.professional_wrote_last, "professional"));
}

inline auto tableOf(domain::Message& m) {
  return table("FROM messages ", col("id", m.id),
               col("author", m.author, domain::Author::kProfessional),
               col("coalesce(staff_id, 0)", m.staff_id), col("body", m.body),
               col("created_at", m.created_at));
}

inline auto tableOf(domain::OutboxItem& o) {
  return table("FROM outbox o JOIN communications c ON c.id = o.communication_id ",
               col("o.id", o.id), col("o.communication_id", o.communication_id),
               col("o.event", o.event, domain::NotifyEvent::kClosed),
               col("o.channel", o.channel, domain::Channel::kEmail),
               col("o.recipient", o.recipient), col("o.status", o.status, OutboxStatus::kFailed),
               col("o.attempts", o.attempts), col("o.next_attempt_at", o.next_attempt_at),
               col("o.last_error", o.last_error), col("o.created_at", o.created_at),
               col("c.protocol", o.protocol), col("c.topic", o.topic),
               col("coalesce(o.message_id, 0)", o.message_id), col("o.in_flight", o.was_in_flight));
}

inline auto tableOf(domain::KioskStatus& k) {
  return table("FROM kiosks ", col("kiosk_id", k.kiosk_id), col("branch_code", k.branch_code),
               col("branch_name", k.branch_name), col("version", k.version),
               col("started_at", k.started_at), col("last_seen", k.last_seen),
               col("head_id", k.head.id), col("head_hash", k.head.hash), col("devices", k.devices),
               col("outbox_pending", k.outbox_pending), col("outbox_failed", k.outbox_failed),
               col("selftest_at", k.selftest_at), col("selftest_ok", k.selftest_ok),
               col("selftest_summary", k.selftest_summary));
}

inline auto tableOf(domain::AuditAnchor& a) {
  return table("FROM audit_anchors ", col("id", a.id), col("at", a.at), col("kiosk_id", a.kiosk_id),
               col("head_id", a.head.id), col("head_hash", a.head.hash),
               col("signature", a.signature), col("seq", a.seq));
}

inline auto tableOf(domain::PublishedKey& k) {
  return table("FROM receipt_keys ", col("key_id", k.key_id), col("kiosk_id", k.kiosk_id),
               col("public_key", k.public_key), col("published_at", k.published_at));
}

// "SELECT <T's columns> FROM … " (then the caller's WHERE, ORDER BY …);
// `args` pick a variant of the table (a professional's own list).
template <typename T, typename... Args>
std::string selectList(Args... args) {
  T probe;
  const auto t = tableOf(probe, args...);
  std::string out = "SELECT ";
  std::apply([&](const auto&... c) { ((out += c.sql, out += ", "), ...); }, t.cols);
  out.resize(out.size() - 2);
  out += ' ';
  return out + t.from;
}

// The same, built once.
template <typename T>
const std::string& selectOf() {
  static const std::string sql = selectList<T>();
  return sql;
}

// A professional's own list: a thread's columns without the staff's.
inline const std::string& ownCommSelect() {
  static const std::string sql = selectList<domain::Communication>(/*own=*/true);
  return sql;
}

// A row of selectList<T>() read into a T.
template <typename T, typename Row>
T readRow(const Row& q) {
  T v;
  int i = 0;
  std::apply([&](auto... c) { (loadColumn(q, i++, c), ...); }, tableOf(v).cols);
  return v;
}

inline constexpr const char* kNextAnchorSeqSql =
    "SELECT coalesce(max(seq), 0) + 1 FROM audit_anchors WHERE kiosk_id = $1";

// The same upserts on both engines ($n placeholders: SQLite takes them too).
inline constexpr const char* kPublishKeySql =
    "INSERT INTO receipt_keys (key_id, kiosk_id, public_key, published_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING";
inline constexpr const char* kHeartbeatSql =
    "INSERT INTO kiosks (kiosk_id, branch_code, branch_name, version, started_at, last_seen, "
    "head_id, head_hash, devices, outbox_pending, outbox_failed) VALUES ($1, $2, $3, $4, $5, $6, "
    "$7, $8, $9, $10, $11) ON CONFLICT (kiosk_id) DO UPDATE SET branch_code = "
    "excluded.branch_code, branch_name = excluded.branch_name, version = excluded.version, "
    "started_at = excluded.started_at, last_seen = excluded.last_seen, head_id = "
    "excluded.head_id, head_hash = excluded.head_hash, devices = excluded.devices, "
    "outbox_pending = excluded.outbox_pending, outbox_failed = excluded.outbox_failed";
inline constexpr const char* kSelftestSql =
    "INSERT INTO kiosks (kiosk_id, selftest_at, selftest_ok, selftest_summary) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (kiosk_id) DO UPDATE SET selftest_at = "
    "excluded.selftest_at, selftest_ok = excluded.selftest_ok, selftest_summary = "
    "excluded.selftest_summary";

// The list's WHERE clause for the filters other than the search: fixed
// fragments joined by AND, each value bound in order (`mark(n)` writes the
// n-th placeholder: "?" for SQLite, "$n" for PostgreSQL).
struct ListWhere {
  std::string sql;  // " AND …" fragments, or empty
  std::vector<std::variant<std::int64_t, std::string>> values;
};

template <typename Mark>
ListWhere listWhere(const domain::CommFilter& f, const domain::SearchTerms& terms, Mark mark) {
  ListWhere w;
  // Each value built in place: GCC 12 warns of a moved variant temporary.
  auto add = [&]<typename V>(const char* clause, V value) {
    w.values.emplace_back(
        std::in_place_type<std::conditional_t<std::is_integral_v<V>, std::int64_t, std::string>>,
        std::move(value));
    w.sql += clause;
    w.sql += mark(w.values.size());
  };
  if (f.professional_id) add(" AND c.professional_id = ", *f.professional_id);
  if (f.box) add(" AND c.box = ", std::string(domain::nameOf(*f.box)));
  if (f.status) add(" AND c.status = ", std::string(domain::nameOf(*f.status)));
  if (f.topic) add(" AND c.topic = ", *f.topic);
  if (f.unread) add(" AND c.unread = ", std::int64_t{*f.unread ? 1 : 0});
  if (terms.kind == domain::SearchTerms::Kind::kProtocol) add(" AND c.protocol = ", terms.exact);
  if (terms.kind == domain::SearchTerms::Kind::kCodiceFiscale) {
    add(" AND c.professional_id = (SELECT id FROM professionals WHERE codice_fiscale = ",
        terms.exact);
    w.sql += ")";
  }
  return w;
}

}  // namespace kiosk::storage
