#include "domain/receipts.h"

#include <cctype>
#include <charconv>

#include "core/crypto.h"
#include "core/rome_time.h"
#include "core/topics.h"
#include "domain/audit.h"

namespace kiosk::domain {

std::string qrPayload(const std::string& verify_url,
                      const std::string& record,
                      const std::optional<AuditHead>& head) {
  if (verify_url.empty()) return record;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = verify_url + (verify_url.find('?') == std::string::npos ? "?r=" : "&r=");
  for (unsigned char c : record) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (head) out += "&h=" + std::to_string(head->id) + "." + head->hash.substr(0, 16);
  return out;
}

std::string recordFromQr(std::string_view text) {
  const auto at = text.find("r=CK1");
  if (at == std::string_view::npos || (at > 0 && text[at - 1] != '?' && text[at - 1] != '&')) {
    return std::string(text);
  }
  std::string_view v = text.substr(at + 2);
  if (const auto amp = v.find('&'); amp != std::string_view::npos) v = v.substr(0, amp);
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}
namespace {

constexpr std::string_view kVersion = "CK1";

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? s.size() - start : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool parseInt(std::string_view s, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

Error notFound() { return Error::notFound("Ricevuta non trovata."); }

// The message a receipt is for: `message_id`, or the thread's first; only
// what the professional registered has a receipt (nullptr otherwise).
const Message* receiptMessage(const std::vector<Message>& messages,
                              std::optional<std::int64_t> message_id) {
  for (const auto& m : messages) {
    if (!message_id || m.id == *message_id) {
      return m.author == Author::kProfessional ? &m : nullptr;
    }
  }
  return nullptr;
}

}  // namespace

std::string receiptDigest(const Communication& c, const Message& m) {
  // Length-prefixed fields: no two different contents give the same text.
  std::string text;
  auto add = [&](std::string_view field) {
    text += std::to_string(field.size());
    text += ':';
    text += field;
    text += '|';
  };
  add(c.protocol);
  add(std::to_string(m.id));
  add(nameOf(m.author));
  add(c.topic);
  add(c.subject);
  add(m.body);
  add(std::to_string(m.created_at));
  for (const auto& a : m.attachments) {
    add(a.filename);
    add(std::to_string(a.size));
    add(a.sha256);
  }
  return crypto::sha256Hex(text);
}

Result<ReceiptData> ReceiptService::receipt(const Session& who,
                                            std::int64_t communication_id,
                                            std::optional<std::int64_t> message_id) {
  if (who.role == Role::kTechnician) {
    return fail(
        {ErrorCode::kForbidden, "forbidden", "Operazione non consentita per questo profilo."});
  }
  return receiptOf(communication_id, message_id,
                   who.role == Role::kProfessional ? std::optional(who.subject_id) : std::nullopt);
}

Result<ReceiptData> ReceiptService::receiptOf(std::int64_t communication_id,
                                              std::optional<std::int64_t> message_id,
                                              std::optional<std::int64_t> owner_id) {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto c = (*tx)->communicationById(communication_id);
  if (!c) return fail(c.error());
  if (!*c || (owner_id && (*c)->professional_id != *owner_id)) return fail(notFound());
  auto messages = (*tx)->messagesOf(communication_id);
  if (!messages) return fail(messages.error());
  const Message* m = receiptMessage(*messages, message_id);
  if (!m) return fail(notFound());

  ReceiptData r;
  r.protocol = (*c)->protocol;
  r.message_id = m->id;
  r.first_message = m->id == messages->front().id;
  r.registered_at = m->created_at;
  r.branch_code = options_.branch_code;
  r.branch_name = options_.branch_name;
  r.kiosk_id = options_.kiosk_id;
  r.professional_name = (*c)->professional_name;
  r.codice_fiscale = (*c)->codice_fiscale;
  const Topic* topic = findTopic((*c)->topic);
  r.topic_label = topic ? std::string(topic->label) : (*c)->topic;
  r.subject = (*c)->subject;
  r.attachments = m->attachments;
  if ((*c)->contacts_version_id != 0) {
    auto v = (*tx)->contactsVersionById((*c)->contacts_version_id);
    if (!v) return fail(v.error());
    if (*v) r.contacts = (*v)->contacts;
  }
  r.extra_email = (*c)->extra_email;
  r.content_sha256 = receiptDigest(**c, *m);
  const std::string signed_part = std::string(kVersion) + ";" + r.protocol + ";" +
                                  std::to_string(r.message_id) + ";" +
                                  std::to_string(r.registered_at) + ";" + r.content_sha256;
  r.record = signed_part + ";" + signer_.sign(signed_part);
  r.key_id = signer_.signingKeyId();
  tx->reset();
  // Every receipt signs the audit chain's head as it stands now, and the QR
  // code carries it: a receipt in someone's hands then pins the log.
  // Best-effort: a full disk still prints the receipt, without the head
  // (the failure is logged as audit_anchor_failed and counted in /metrics).
  {
    static const SystemClock system_clock;
    const Clock& clock = clock_ ? *clock_ : system_clock;
    auto head = anchorAuditNow(store_, signer_, options_.kiosk_id, clock.nowSeconds(), "receipt");
    if (head) r.audit_head = *head;
  }
  r.qr = qrPayload(options_.verify_url, r.record, r.audit_head);
  return r;
}

Result<std::string> ReceiptService::mailReceipt(const Session& who,
                                                std::int64_t communication_id,
                                                std::optional<std::int64_t> message_id,
                                                std::int64_t now) {
  if (who.role != Role::kProfessional) {
    return fail(
        {ErrorCode::kForbidden, "forbidden", "Operazione non consentita per questo profilo."});
  }
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto c = (*tx)->communicationById(communication_id);
  if (!c) return fail(c.error());
  if (!*c || (*c)->professional_id != who.subject_id) return fail(notFound());
  auto messages = (*tx)->messagesOf(communication_id);
  if (!messages) return fail(messages.error());
  const Message* m = receiptMessage(*messages, message_id);
  if (!m) return fail(notFound());
  // Only to the PEC of the thread's snapshot (the contacts in force when it
  // was registered), not to an address just typed: the kiosk is no relay.
  std::optional<ContactsVersion> snapshot;
  if ((*c)->contacts_version_id != 0) {
    auto v = (*tx)->contactsVersionById((*c)->contacts_version_id);
    if (!v) return fail(v.error());
    snapshot = std::move(*v);
  }
  if (!snapshot || snapshot->contacts.pec.empty()) {
    return fail(Error::invalid("pec_missing",
                               "Quando questa comunicazione è stata registrata tra i suoi "
                               "contatti non c'era una PEC: la ricevuta si può stampare o vedere "
                               "sullo schermo."));
  }
  // At most once an hour per thread.
  auto last = (*tx)->lastOutboxAt(communication_id, NotifyEvent::kReceipt);
  if (!last) return fail(last.error());
  if (*last != 0 && now - *last < kReceiptMailInterval) {
    Error e{ErrorCode::kTooMany, "receipt_recently_mailed",
            "La ricevuta di questa comunicazione è già stata inviata alla PEC alle " +
                romeTimeText(*last) + ": si può chiedere di nuovo dalle " +
                romeTimeText(*last + kReceiptMailInterval) + "."};
    e.detail = std::to_string(*last + kReceiptMailInterval - now);  // seconds to wait
    return fail(std::move(e));
  }
  const std::string pec = snapshot->contacts.pec;
  OutboxRow row{communication_id,      NotifyEvent::kReceipt, Channel::kPec, pec, now,
                message_id ? m->id : 0};
  if (auto st = (*tx)->insertOutbox(row); !st) return fail(st.error());
  if (auto st = (*tx)->appendAudit({now, actorOf(who), "receipt_mailed",
                                    "communication:" + std::to_string(communication_id),
                                    "message:" + std::to_string(m->id) + " to pec"});
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return pec;
}

Result<ReceiptCheck> ReceiptService::verify(std::string_view record) {
  ReceiptCheck check;
  check.branch_name = options_.branch_name;
  check.kiosk_id = options_.kiosk_id;
  while (!record.empty() &&
         (record.back() == '\n' || record.back() == '\r' || record.back() == ' ')) {
    record.remove_suffix(1);
  }
  const auto parts = split(record, ';');
  std::int64_t message_id = 0;
  std::int64_t at = 0;
  if (parts.size() != 6 || parts[0] != kVersion || !parseInt(parts[2], message_id) ||
      !parseInt(parts[3], at) || parts[4].size() != 64) {
    check.reason = "Il testo non è quello di una ricevuta del chiosco.";
    return check;
  }
  const std::string_view signed_part = record.substr(0, record.rfind(';'));
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  // Any kiosk on the database may have printed it: its public key is there,
  // and the check names that kiosk and its branch, not the one asking.
  auto signed_by = signingKiosk(**tx, signer_, signed_part, parts[5]);
  if (!signed_by) return fail(signed_by.error());
  if (!*signed_by) {
    check.reason =
        "La firma della ricevuta non è valida: la ricevuta è stata alterata o non è "
        "stata emessa da un chiosco di questa sede.";
    return check;
  }
  if (!(*signed_by)->empty() && **signed_by != options_.kiosk_id) {
    check.kiosk_id = **signed_by;
    check.branch_name.clear();
    auto fleet = (*tx)->listKiosks();
    if (!fleet) return fail(fleet.error());
    for (const auto& k : *fleet) {
      if (k.kiosk_id == check.kiosk_id) check.branch_name = k.branch_name;
    }
  }
  // The protocol names the thread; the message must belong to it.
  auto found = (*tx)->communicationByProtocol(parts[1]);
  if (!found) return fail(found.error());
  if (!*found) {
    check.reason = "Nessuna comunicazione registrata con questo protocollo.";
    return check;
  }
  const Communication& c = **found;
  auto messages = (*tx)->messagesOf(c.id);
  if (!messages) return fail(messages.error());
  for (const auto& m : *messages) {
    if (m.id != message_id) continue;
    check.protocol = c.protocol;
    check.registered_at = m.created_at;
    const Topic* topic = findTopic(c.topic);
    check.topic_label = topic ? std::string(topic->label) : c.topic;
    check.attachments = m.attachments.size();
    if (m.created_at != at || receiptDigest(c, m) != parts[4]) {
      check.reason = "Il contenuto registrato non corrisponde a quello della ricevuta.";
      return check;
    }
    check.valid = true;
    return check;
  }
  check.reason = "Il messaggio della ricevuta non risulta registrato.";
  return check;
}

}  // namespace kiosk::domain
