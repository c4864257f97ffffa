// Receipts: what a professional takes away as proof of what was registered,
// and how anyone checks it later.
//
// Each receipt carries a compact signed record (printed as a QR code and as
// text): "CK1;PROTOCOL;MESSAGE_ID;UNIX_TIME;CONTENT_SHA256;SIGNATURE". The
// content digest covers the registered texts and the attachments' digests;
// the signature (Ed25519, the kiosk's key) covers everything before it.
// Verification checks the signature, finds the message in the database and
// recomputes the digest; it answers metadata, never content. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/model.h"
#include "domain/ports/receipt_signer.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

struct ReceiptOptions {
  std::string branch_code = "0000";
  std::string branch_name = "Sede INPS";
  std::string kiosk_id = "K01";
  // The public verification page the QR code points at ("…/verifica"); the
  // QR holds VERIFY_URL?r=RECORD. Empty: the QR holds the bare record.
  std::string verify_url;
};

// What the QR code of a receipt holds: the verification page's URL with the
// record as its r parameter, or the bare record without a URL.
// With the audit head the kiosk signed when it printed, the URL also carries
// "&h=ID.HASH16" (the head entry's id and the first 16 hex digits of its hash).
std::string qrPayload(const std::string& verify_url,
                      const std::string& record,
                      const std::optional<AuditHead>& head = std::nullopt);
// The record inside a scanned QR text (a URL with ?r= or the bare record).
std::string recordFromQr(std::string_view text);

struct ReceiptData {
  std::string protocol;
  std::int64_t message_id = 0;
  bool first_message = true;  // the communication itself, or a message added later
  std::int64_t registered_at = 0;
  std::string branch_code, branch_name, kiosk_id;
  std::string professional_name, codice_fiscale;
  std::string topic_label, subject;
  std::vector<AttachmentMeta> attachments;
  std::optional<Contacts> contacts;  // where notifications go
  std::string extra_email;
  std::string content_sha256;
  std::string record;                   // the signed verification record
  std::string qr;                       // what the QR code holds (qrPayload)
  std::string key_id;                   // the signing key's id (the keyring names it)
  std::optional<AuditHead> audit_head;  // the chain head signed when the receipt was made
  bool large_print = false;  // the same content with every text at 16 pt and up (on request)
};

inline constexpr std::int64_t kReceiptMailInterval = 3600;  // seconds between two receipt mails

struct ReceiptCheck {
  bool valid = false;
  std::string reason;  // Italian, why it is not valid
  // Metadata of the registered message (when found): never its content.
  std::string protocol;
  std::int64_t registered_at = 0;
  std::string topic_label;
  std::size_t attachments = 0;
  std::string branch_name, kiosk_id;
};

// SHA-256 over the registered content of one message of a thread.
std::string receiptDigest(const Communication& c, const Message& m);

class ReceiptService {
 public:
  // `clock` dates the audit anchors written with receipts (default: the system clock).
  ReceiptService(Store& store,
                 ReceiptSigner& signer,
                 ReceiptOptions options,
                 const Clock* clock = nullptr)
      : store_(store), signer_(signer), options_(std::move(options)), clock_(clock) {}

  // The receipt of a thread's first message (message_id empty) or of a
  // message the professional added. The owner or staff; others get 404.
  Result<ReceiptData> receipt(const Session& who,
                              std::int64_t communication_id,
                              std::optional<std::int64_t> message_id);
  // The same without a session (the dispatcher mailing a receipt); with
  // `owner_id`, a thread of someone else is not found.
  Result<ReceiptData> receiptOf(std::int64_t communication_id,
                                std::optional<std::int64_t> message_id,
                                std::optional<std::int64_t> owner_id = std::nullopt);

  // "Invia ricevuta alla PEC": queues the receipt (a PDF attachment, made
  // when the dispatcher sends it) to the PEC of the thread's contacts
  // snapshot, at most once an hour per thread (429 receipt_recently_mailed).
  // The owner only; 404 for anything else, 422 pec_missing when the snapshot
  // has no PEC. Audited. Returns the PEC.
  Result<std::string> mailReceipt(const Session& who,
                                  std::int64_t communication_id,
                                  std::optional<std::int64_t> message_id,
                                  std::int64_t now);

  // Checks a record as printed on a receipt (the QR text).
  Result<ReceiptCheck> verify(std::string_view record);

 private:
  Store& store_;
  ReceiptSigner& signer_;
  ReceiptOptions options_;
  const Clock* clock_;
};

}  // namespace kiosk::domain
