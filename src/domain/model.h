// Plain values of the domain: professionals, contacts, staff, sessions and
// audit entries. No behaviour, no storage or HTTP types. Thread safety: values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::domain {

// The names an enum is stored and answered by, in enumerator order: one
// table per enum (EnumNames<E>::values), read by nameOf and parseName.
template <typename E>
struct EnumNames;

template <typename E>
constexpr std::string_view nameOf(E e) {
  return EnumNames<E>::values[static_cast<std::size_t>(e)];
}

template <typename E>
constexpr std::optional<E> parseName(std::string_view s) {
  for (std::size_t i = 0; i < EnumNames<E>::values.size(); ++i) {
    if (EnumNames<E>::values[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

enum class Role { kProfessional, kStaff, kTechnician };
template <>
struct EnumNames<Role> {
  static constexpr std::array<std::string_view, 3> values{"professional", "staff", "technician"};
};

// What a notification is about.
enum class NotifyEvent { kRegistered, kReplied, kInstituteWrote, kClosed, kReceipt };
template <>
struct EnumNames<NotifyEvent> {
  static constexpr std::array<std::string_view, 5> values{"registered", "replied",
                                                          "institute_wrote", "closed", "receipt"};
};

// Where a notification goes.
enum class Channel { kPec, kEmail, kSms };
template <>
struct EnumNames<Channel> {
  static constexpr std::array<std::string_view, 3> values{"pec", "email", "sms"};
};

enum class OutboxStatus { kPending, kSent, kFailed };
template <>
struct EnumNames<OutboxStatus> {
  static constexpr std::array<std::string_view, 3> values{"pending", "sent", "failed"};
};

struct Contacts {
  std::string pec;
  std::string email;
  std::string mobile;  // E.164, "+393331234567"
  std::string phone;
  std::string fax;
  std::vector<std::string> notify;  // subset of "pec", "email", "sms", in that order
  bool operator==(const Contacts&) const = default;
};

// Who wrote a contacts version.
enum class ContactsSource { kArchive, kProfessional };
template <>
struct EnumNames<ContactsSource> {
  static constexpr std::array<std::string_view, 2> values{"archive", "professional"};
};

struct ContactsVersion {
  std::int64_t id = 0;
  int version = 0;  // 1, 2, … per professional
  Contacts contacts;
  ContactsSource source = ContactsSource::kArchive;
  std::int64_t created_at = 0;
};

// Failed-login bookkeeping shared by professionals and staff.
struct LoginState {
  int failed_attempts = 0;
  std::int64_t locked_until = 0;  // Unix seconds; 0 = not locked
};

// "Nuovo PIN": the window staff opened at the counter, and the one-time code
// they handed to the professional, who types it at the kiosk with the new PIN.
struct PinResetWindow {
  std::int64_t until = 0;  // Unix seconds; 0: no window open
  std::string code_hash;   // argon2id of the one-time code
  int wrong_codes = 0;     // wrong codes typed in this window
};

struct Professional {
  std::int64_t id = 0;
  std::string codice_fiscale;
  std::string surname;
  std::string name;
  std::string pin_hash;  // empty until a PIN is set
  LoginState login;
  PinResetWindow pin_reset;

  std::string displayName() const { return name + " " + surname; }
};

struct StaffUser {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;
  Role role = Role::kStaff;  // kStaff or kTechnician
  std::string password_hash;
  LoginState login;
};

enum class AccountKind { kProfessional, kStaff };

struct Session {
  std::int64_t id = 0;
  std::string token_hash;  // SHA-256 of the cookie token; the token itself is never stored
  Role role = Role::kProfessional;
  std::int64_t subject_id = 0;  // professional or staff user id
  std::string principal;        // codice fiscale or user name
  std::string display_name;
  std::string csrf_token;
  std::int64_t created_at = 0;
  std::int64_t last_seen = 0;
};

// "professional:RSSMRA80A01H501U", "staff:sportello": who did it, for the
// audit log. Every actor is written by these two ("system" and "anonymous"
// aside).
std::string actorOf(const Session& s);
std::string actorOf(Role role, std::string_view principal);

// --- Communications -------------------------------------------------------

enum class CommStatus { kAperta, kInCarico, kChiusa };
template <>
struct EnumNames<CommStatus> {
  static constexpr std::array<std::string_view, 3> values{"aperta", "in_carico", "chiusa"};
};
enum class Box { kSent, kReceived };  // sent: the professional wrote first
template <>
struct EnumNames<Box> {
  static constexpr std::array<std::string_view, 2> values{"sent", "received"};
};
enum class Author { kProfessional, kInstitute };
template <>
struct EnumNames<Author> {
  static constexpr std::array<std::string_view, 2> values{"professional", "institute"};
};

struct AttachmentMeta {
  std::int64_t id = 0;
  std::string filename;  // cleaned, for display only
  std::string content_type;
  std::int64_t size = 0;
  std::string sha256;  // lower-case hex
};

// A checked file about to be stored.
struct NewAttachment {
  std::string filename;
  std::string content_type;
  std::string sha256;
  std::string data;
};

struct Message {
  std::int64_t id = 0;
  std::int64_t communication_id = 0;
  Author author = Author::kProfessional;
  std::int64_t staff_id = 0;  // 0 unless the Institute wrote it
  std::string body;
  std::int64_t created_at = 0;
  std::vector<AttachmentMeta> attachments;
};

struct Communication {
  std::int64_t id = 0;
  std::string protocol;
  std::int64_t professional_id = 0;
  Box box = Box::kSent;
  std::string topic;  // a topic code
  std::string subject;
  CommStatus status = CommStatus::kAperta;
  std::string outcome;  // set on closing
  std::int64_t contacts_version_id = 0;
  std::string extra_email;
  bool unread = false;  // the Institute wrote since the professional last opened it
  std::int64_t assigned_staff_id = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // Read-only, joined from professionals.
  std::string codice_fiscale;
  std::string professional_name;
  bool professional_wrote_last = false;  // the newest message is the professional's
};

struct CommFilter {
  std::optional<std::int64_t> professional_id;  // nullopt: every professional (staff)
  std::optional<Box> box;
  std::optional<CommStatus> status;
  std::optional<std::string> topic;
  std::optional<bool> unread;
  std::string q;  // staff search: see SearchTerms
  int page = 1;
  int per_page = 20;
};

struct CommPage {
  std::vector<Communication> items;  // newest first
  std::int64_t total = 0;
  // The staff's queue and search count at most kCountCap threads: true when
  // there are more (total is then kCountCap, and a search pages through the
  // kCountCap newest matches only).
  bool total_capped = false;
  // A professional's own list: their list version in the page's snapshot
  // (moved on by every change to their threads); unset for other lists.
  std::optional<std::int64_t> list_version;
  static constexpr std::int64_t kCountCap = 1000;
};

// How the staff's search text is looked up: a whole protocol number or
// codice fiscale exactly (by index); anything else by words. The text is cut
// into words at every character that is not a letter or a digit, and folded
// to lower case without accents (searchWords). A word of 3 characters or more
// finds the threads with a word beginning with it (its first 12 characters:
// kSearchPrefixMax) in the protocol, codice fiscale, surname or subject; a
// shorter one a whole word. The protocol's number is also indexed from each
// of its digits on, so that digits find any part of it (its last digits).
// Under 3 characters in all, or no word: kNone (nothing to look for).
struct SearchWord {
  std::string text;     // lower case, no accents: [0-9a-z]
  bool prefix = false;  // the beginning of a word (3 characters or more)
  bool operator==(const SearchWord&) const = default;
};
inline constexpr std::size_t kSearchPrefixMax = 12;
struct SearchTerms {
  enum class Kind { kNone, kProtocol, kCodiceFiscale, kWords } kind = Kind::kNone;
  std::string exact;              // kProtocol, kCodiceFiscale: upper case
  std::vector<SearchWord> words;  // kWords
};
SearchTerms searchTerms(std::string_view q);

// `text` cut into words as above: lower case, accents of the Latin-1 letters
// removed (à → a), every other character a separator. Both engines index the
// same words (SQLite's unicode61 tokenizer, PostgreSQL's translate()).
std::vector<std::string> searchWords(std::string_view text);

// An attachment with its bytes and the owner of its thread.
// One message a professional wrote: when, and its attachments' bytes.
struct SentSize {
  std::int64_t created_at = 0;
  std::int64_t bytes = 0;
};

struct StoredFile {
  AttachmentMeta meta;
  std::int64_t professional_id = 0;
  std::string data;
};

struct OutboxRow {
  std::int64_t communication_id = 0;
  NotifyEvent event = NotifyEvent::kRegistered;
  Channel channel = Channel::kPec;
  std::string recipient;
  std::int64_t created_at = 0;
  std::int64_t message_id = 0;  // "receipt": the message it is for (0: the thread's first)
};

// An outbox row as the dispatcher and technicians see it.
struct OutboxItem {
  std::int64_t id = 0;
  std::int64_t communication_id = 0;
  NotifyEvent event = NotifyEvent::kRegistered;
  Channel channel = Channel::kPec;
  std::string recipient;
  OutboxStatus status = OutboxStatus::kPending;
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::string last_error;
  std::int64_t created_at = 0;
  std::string protocol;  // joined from the thread
  std::string topic;
  std::int64_t message_id = 0;  // "receipt" rows: the message (0: the thread's first)
  // Claimed before and never marked: its kiosk stopped (or lost the lease)
  // while sending it, so it may have gone out already.
  bool was_in_flight = false;
};

struct AuditEntry {
  std::int64_t at = 0;
  std::string actor;    // "professional:RSSMRA80A01H501U", "staff:sportello", "system"
  std::string action;   // "login_ok", "login_failed", "account_locked", …
  std::string subject;  // what the action was about
  std::string detail;   // short, never a secret or message text
};

// The audit chain's newest entry.
struct AuditHead {
  std::int64_t id = 0;
  std::string hash;
};

// A signed statement "at time `at`, kiosk `kiosk_id` saw the chain's head".
struct AuditAnchor {
  std::int64_t id = 0;
  std::int64_t at = 0;
  std::string kiosk_id;
  AuditHead head;
  std::string signature;
  std::int64_t seq = 0;  // the kiosk's own numbering of its heads, from 1 (0: before numbering)
};

// A kiosk's public receipt key, published in the database so that every desk
// on it verifies receipts and signed heads of every kiosk.
struct PublishedKey {
  std::string key_id;  // 16 hex digits
  std::string kiosk_id;
  std::string public_key;  // Ed25519, 64 hex digits
  std::int64_t published_at = 0;
};

// What a kiosk last said of itself: serve every minute, selftest when run.
struct KioskStatus {
  std::string kiosk_id;
  std::string branch_code;
  std::string branch_name;
  std::string version;
  std::int64_t started_at = 0;
  std::int64_t last_seen = 0;
  AuditHead head;       // the audit head it last signed
  std::string devices;  // "printer=ready scanner=not_configured usb=ready"
  std::int64_t outbox_pending = 0;
  std::int64_t outbox_failed = 0;
  std::int64_t selftest_at = 0;  // 0: never run
  bool selftest_ok = false;
  std::string selftest_summary;
};

}  // namespace kiosk::domain
