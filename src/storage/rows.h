// Row readers shared by the engines: each engine's row type (SQLite's Query,
// PostgreSQL's PgRow) offers text(col), int64(col) and integer(col), and the
// column lists below are the same SQL on both.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
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

// A column list (below) followed by the rest of a statement.
inline std::string withColumns(const char* columns, const char* rest) {
  return std::string(columns) + rest;
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

// A field that holds a stored name, read back with storedName().
template <typename E>
struct Named {
  E& value;
  const char* column;
  E fallback;
};

// One column into one field, as the field's type says.
template <typename Row>
void loadColumn(const Row& q, int i, std::int64_t& v) {
  v = q.int64(i);
}
template <typename Row>
void loadColumn(const Row& q, int i, int& v) {
  v = q.integer(i);
}
template <typename Row>
void loadColumn(const Row& q, int i, bool& v) {
  v = q.integer(i) != 0;
}
template <typename Row>
void loadColumn(const Row& q, int i, std::string& v) {
  v = q.text(i);
}
template <typename Row, typename E>
void loadColumn(const Row& q, int i, Named<E> n) {
  n.value = storedName(q.text(i), n.column, n.fallback);
}

// The row's columns, from the first, into `fields` in the same order: a
// reader names each field once, beside the column list it reads.
template <typename Row, typename... Fields>
void loadColumns(const Row& q, Fields&&... fields) {
  int i = 0;
  (loadColumn(q, i++, std::forward<Fields>(fields)), ...);
}

inline constexpr const char* kProfessionalColumns =
    "SELECT id, codice_fiscale, surname, name, pin_hash, failed_attempts, locked_until, "
    "pin_reset_until, pin_reset_code, pin_reset_wrong FROM professionals ";

template <typename Row>
domain::Professional readProfessional(const Row& q) {
  domain::Professional p;
  loadColumns(q, p.id, p.codice_fiscale, p.surname, p.name, p.pin_hash, p.login.failed_attempts,
              p.login.locked_until, p.pin_reset.until, p.pin_reset.code_hash,
              p.pin_reset.wrong_codes);
  return p;
}

inline constexpr const char* kContactsColumns =
    "SELECT id, version, pec, email, mobile, phone, fax, notify, source, created_at "
    "FROM contact_versions ";

template <typename Row>
domain::ContactsVersion readContacts(const Row& q) {
  domain::ContactsVersion v;
  std::string notify;
  loadColumns(q, v.id, v.version, v.contacts.pec, v.contacts.email, v.contacts.mobile,
              v.contacts.phone, v.contacts.fax, notify,
              Named{v.source, "contacts.source", domain::ContactsSource::kArchive}, v.created_at);
  v.contacts.notify = splitChannels(notify);
  return v;
}

inline constexpr const char* kStaffColumns =
    "SELECT id, username, display_name, role, password_hash, failed_attempts, locked_until "
    "FROM staff_users ";

template <typename Row>
domain::StaffUser readStaff(const Row& q) {
  domain::StaffUser u;
  loadColumns(q, u.id, u.username, u.display_name, Named{u.role, "role", Role::kProfessional},
              u.password_hash, u.login.failed_attempts, u.login.locked_until);
  return u;
}

inline constexpr const char* kSessionColumns =
    "SELECT id, token_hash, role, subject_id, display_name, csrf_token, created_at, "
    "last_seen, principal FROM sessions ";

template <typename Row>
domain::Session readSession(const Row& q) {
  domain::Session s;
  loadColumns(q, s.id, s.token_hash, Named{s.role, "role", Role::kProfessional}, s.subject_id,
              s.display_name, s.csrf_token, s.created_at, s.last_seen, s.principal);
  return s;
}

inline constexpr const char* kCommColumns =
    "SELECT c.id, c.protocol, c.professional_id, c.box, c.topic, c.subject, c.status, "
    "c.outcome, coalesce(c.contacts_version_id, 0), c.extra_email, c.unread, "
    "coalesce(c.assigned_staff_id, 0), c.created_at, c.updated_at, p.codice_fiscale, "
    "p.name || ' ' || p.surname, "
    "(SELECT m.author FROM messages m WHERE m.communication_id = c.id "
    "ORDER BY m.id DESC LIMIT 1) FROM communications c "
    "JOIN professionals p ON p.id = c.professional_id ";

// The same columns for a professional's own list: no owner, nor who wrote
// last (the staff's fields), so no join nor subquery for each row.
inline constexpr const char* kOwnCommColumns =
    "SELECT c.id, c.protocol, c.professional_id, c.box, c.topic, c.subject, c.status, "
    "c.outcome, coalesce(c.contacts_version_id, 0), c.extra_email, c.unread, "
    "coalesce(c.assigned_staff_id, 0), c.created_at, c.updated_at, '', '', '' "
    "FROM communications c ";

template <typename Row>
domain::Communication readComm(const Row& q) {
  domain::Communication c;
  std::string wrote_last;
  loadColumns(q, c.id, c.protocol, c.professional_id,
              Named{c.box, "communications.box", domain::Box::kSent}, c.topic, c.subject,
              Named{c.status, "communications.status", domain::CommStatus::kAperta}, c.outcome,
              c.contacts_version_id, c.extra_email, c.unread, c.assigned_staff_id, c.created_at,
              c.updated_at, c.codice_fiscale, c.professional_name, wrote_last);
  c.professional_wrote_last = wrote_last == "professional";
  return c;
}

inline constexpr const char* kMessageColumns =
    "SELECT id, author, coalesce(staff_id, 0), body, created_at FROM messages ";

template <typename Row>
domain::Message readMessage(const Row& q, std::int64_t communication_id) {
  domain::Message m;
  m.communication_id = communication_id;
  loadColumns(q, m.id, Named{m.author, "messages.author", domain::Author::kProfessional},
              m.staff_id, m.body, m.created_at);
  return m;
}

inline constexpr const char* kOutboxColumns =
    "SELECT o.id, o.communication_id, o.event, o.channel, o.recipient, o.status, o.attempts, "
    "o.next_attempt_at, o.last_error, o.created_at, c.protocol, c.topic, "
    "coalesce(o.message_id, 0), o.in_flight FROM outbox o "
    "JOIN communications c ON c.id = o.communication_id ";

template <typename Row>
domain::OutboxItem readOutbox(const Row& q) {
  domain::OutboxItem o;
  loadColumns(
      q, o.id, o.communication_id, Named{o.event, "outbox.event", domain::NotifyEvent::kClosed},
      Named{o.channel, "outbox.channel", domain::Channel::kEmail}, o.recipient,
      Named{o.status, "outbox.status", OutboxStatus::kFailed}, o.attempts, o.next_attempt_at,
      o.last_error, o.created_at, o.protocol, o.topic, o.message_id, o.was_in_flight);
  return o;
}

inline constexpr const char* kKioskColumns =
    "SELECT kiosk_id, branch_code, branch_name, version, started_at, last_seen, head_id, "
    "head_hash, devices, outbox_pending, outbox_failed, selftest_at, selftest_ok, "
    "selftest_summary FROM kiosks ";

template <typename Row>
domain::KioskStatus readKiosk(const Row& q) {
  domain::KioskStatus k;
  loadColumns(q, k.kiosk_id, k.branch_code, k.branch_name, k.version, k.started_at, k.last_seen,
              k.head.id, k.head.hash, k.devices, k.outbox_pending, k.outbox_failed, k.selftest_at,
              k.selftest_ok, k.selftest_summary);
  return k;
}

inline constexpr const char* kAnchorColumns =
    "SELECT id, at, kiosk_id, head_id, head_hash, signature, seq FROM audit_anchors ";

template <typename Row>
domain::AuditAnchor readAnchor(const Row& q) {
  domain::AuditAnchor a;
  loadColumns(q, a.id, a.at, a.kiosk_id, a.head.id, a.head.hash, a.signature, a.seq);
  return a;
}

inline constexpr const char* kNextAnchorSeqSql =
    "SELECT coalesce(max(seq), 0) + 1 FROM audit_anchors WHERE kiosk_id = $1";

// The same upserts on both engines ($n placeholders: SQLite takes them too).
inline constexpr const char* kPublishKeySql =
    "INSERT INTO receipt_keys (key_id, kiosk_id, public_key, published_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING";
inline constexpr const char* kReceiptKeysSql =
    "SELECT key_id, kiosk_id, public_key, published_at FROM receipt_keys "
    "ORDER BY published_at, key_id";
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

template <typename Row>
domain::PublishedKey readPublishedKey(const Row& q) {
  domain::PublishedKey k;
  loadColumns(q, k.key_id, k.kiosk_id, k.public_key, k.published_at);
  return k;
}

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
