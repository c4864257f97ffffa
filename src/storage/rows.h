// Row readers shared by the engines: each engine's row type (SQLite's Query,
// PostgreSQL's PgRow) offers text(col), int64(col) and integer(col), and the
// column lists below are the same SQL on both.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
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

inline constexpr const char* kProfessionalColumns =
    "SELECT id, codice_fiscale, surname, name, pin_hash, failed_attempts, locked_until, "
    "pin_reset_until, pin_reset_code, pin_reset_wrong FROM professionals ";

template <typename Row>
domain::Professional readProfessional(const Row& q) {
  domain::Professional p;
  p.id = q.int64(0);
  p.codice_fiscale = q.text(1);
  p.surname = q.text(2);
  p.name = q.text(3);
  p.pin_hash = q.text(4);
  p.login = {q.integer(5), q.int64(6)};
  p.pin_reset = {q.int64(7), q.text(8), q.integer(9)};
  return p;
}

inline constexpr const char* kContactsColumns =
    "SELECT id, version, pec, email, mobile, phone, fax, notify, source, created_at "
    "FROM contact_versions ";

template <typename Row>
domain::ContactsVersion readContacts(const Row& q) {
  domain::ContactsVersion v;
  v.id = q.int64(0);
  v.version = q.integer(1);
  v.contacts.pec = q.text(2);
  v.contacts.email = q.text(3);
  v.contacts.mobile = q.text(4);
  v.contacts.phone = q.text(5);
  v.contacts.fax = q.text(6);
  v.contacts.notify = splitChannels(q.text(7));
  v.source = storedName(q.text(8), "contacts.source", domain::ContactsSource::kArchive);
  v.created_at = q.int64(9);
  return v;
}

inline constexpr const char* kStaffColumns =
    "SELECT id, username, display_name, role, password_hash, failed_attempts, locked_until "
    "FROM staff_users ";

template <typename Row>
domain::StaffUser readStaff(const Row& q) {
  domain::StaffUser u;
  u.id = q.int64(0);
  u.username = q.text(1);
  u.display_name = q.text(2);
  u.role = parseRole(q.text(3));
  u.password_hash = q.text(4);
  u.login = {q.integer(5), q.int64(6)};
  return u;
}

inline constexpr const char* kSessionColumns =
    "SELECT id, token_hash, role, subject_id, display_name, csrf_token, created_at, "
    "last_seen, principal FROM sessions ";

template <typename Row>
domain::Session readSession(const Row& q) {
  domain::Session s;
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
  c.id = q.int64(0);
  c.protocol = q.text(1);
  c.professional_id = q.int64(2);
  c.box = storedName(q.text(3), "communications.box", domain::Box::kSent);
  c.topic = q.text(4);
  c.subject = q.text(5);
  c.status = storedName(q.text(6), "communications.status", domain::CommStatus::kAperta);
  c.outcome = q.text(7);
  c.contacts_version_id = q.int64(8);
  c.extra_email = q.text(9);
  c.unread = q.integer(10) != 0;
  c.assigned_staff_id = q.int64(11);
  c.created_at = q.int64(12);
  c.updated_at = q.int64(13);
  c.codice_fiscale = q.text(14);
  c.professional_name = q.text(15);
  c.professional_wrote_last = q.text(16) == "professional";
  return c;
}

inline constexpr const char* kMessageColumns =
    "SELECT id, author, coalesce(staff_id, 0), body, created_at FROM messages ";

template <typename Row>
domain::Message readMessage(const Row& q, std::int64_t communication_id) {
  domain::Message m;
  m.id = q.int64(0);
  m.communication_id = communication_id;
  m.author = storedName(q.text(1), "messages.author", domain::Author::kProfessional);
  m.staff_id = q.int64(2);
  m.body = q.text(3);
  m.created_at = q.int64(4);
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
  o.id = q.int64(0);
  o.communication_id = q.int64(1);
  o.event = storedName(q.text(2), "outbox.event", domain::NotifyEvent::kClosed);
  o.channel = storedName(q.text(3), "outbox.channel", domain::Channel::kEmail);
  o.recipient = q.text(4);
  o.status = storedName(q.text(5), "outbox.status", OutboxStatus::kFailed);
  o.attempts = q.integer(6);
  o.next_attempt_at = q.int64(7);
  o.last_error = q.text(8);
  o.created_at = q.int64(9);
  o.protocol = q.text(10);
  o.topic = q.text(11);
  o.message_id = q.int64(12);
  o.was_in_flight = q.integer(13) != 0;
  return o;
}

inline constexpr const char* kKioskColumns =
    "SELECT kiosk_id, branch_code, branch_name, version, started_at, last_seen, head_id, "
    "head_hash, devices, outbox_pending, outbox_failed, selftest_at, selftest_ok, "
    "selftest_summary FROM kiosks ";

template <typename Row>
domain::KioskStatus readKiosk(const Row& q) {
  domain::KioskStatus k;
  k.kiosk_id = q.text(0);
  k.branch_code = q.text(1);
  k.branch_name = q.text(2);
  k.version = q.text(3);
  k.started_at = q.int64(4);
  k.last_seen = q.int64(5);
  k.head = {q.int64(6), q.text(7)};
  k.devices = q.text(8);
  k.outbox_pending = q.int64(9);
  k.outbox_failed = q.int64(10);
  k.selftest_at = q.int64(11);
  k.selftest_ok = q.integer(12) != 0;
  k.selftest_summary = q.text(13);
  return k;
}

inline constexpr const char* kAnchorColumns =
    "SELECT id, at, kiosk_id, head_id, head_hash, signature, seq FROM audit_anchors ";

template <typename Row>
domain::AuditAnchor readAnchor(const Row& q) {
  return {q.int64(0), q.int64(1), q.text(2), {q.int64(3), q.text(4)}, q.text(5), q.int64(6)};
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
  return {q.text(0), q.text(1), q.text(2), q.int64(3)};
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
