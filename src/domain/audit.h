// The audit log's hash chain: each entry carries the SHA-256 of the entry
// before it, so a changed or removed entry breaks the chain from there on.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "domain/model.h"
#include "domain/ports/receipt_signer.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

// The hash of the first entry's predecessor.
inline constexpr const char* kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// SHA-256 over the previous hash and the entry's fields, each length-prefixed
// so that no two different entries hash the same text.
std::string auditHash(const std::string& prev_hash, const AuditEntry& entry);

struct AuditCheck {
  std::int64_t entries = 0;                  // entries read
  std::optional<std::int64_t> first_broken;  // id of the first entry that breaks the chain
  std::string why;                           // what is wrong with it
  std::int64_t anchors = 0;                  // signed heads checked
  std::int64_t outside = 0;                  // heads from the journal found in the database
};

// The text an anchor's signature covers.
std::string auditAnchorText(const AuditAnchor& a);

// What anchoring did: the head (nullopt for an empty log) and the anchor it
// wrote (nullopt when the newest anchor already named that head).
struct Anchoring {
  std::optional<AuditHead> head;
  std::optional<AuditAnchor> written;
};

// Signs the chain's current head in `tx` unless the newest anchor already
// names it. The caller commits, then journals what was written.
Result<Anchoring> anchorAudit(Transaction& tx,
                              ReceiptSigner& signer,
                              const std::string& kiosk_id,
                              std::int64_t now);

// The same in a transaction of its own, committed; the anchor's journal line
// (forwarded off the box) is written only once it is committed. A failure
// (begin, anchoring or commit) is logged as `audit_anchor_failed` with
// `what` (the periodic anchor, a receipt) and returned.
Result<std::optional<AuditHead>> anchorAuditNow(Store& store,
                                                ReceiptSigner& signer,
                                                const std::string& kiosk_id,
                                                std::int64_t now,
                                                std::string_view what);

// True when `signature` over `message` is by one of this kiosk's keys, or by a
// public key another kiosk published in the database (a shared database).
Result<bool> verifyInFleet(Transaction& tx,
                           ReceiptSigner& signer,
                           std::string_view message,
                           std::string_view signature);

// Which kiosk's key made `signature` over `message`: the kiosk that
// published that key in the database, "" for this kiosk's own keyring when
// no published key fits, nullopt when no key fits at all.
Result<std::optional<std::string>> signingKiosk(Transaction& tx,
                                                ReceiptSigner& signer,
                                                std::string_view message,
                                                std::string_view signature);

// Recomputes the chain from the first entry and, with a signer, checks every
// signed head: its signature, and that the entry it names is still there with
// the same hash. A chain rewritten with recomputed hashes, or cut after an
// anchored head, is broken.
// A head is checked only with keys of the kiosk it names: this kiosk's own
// keyring (`signer`) for heads of `own_kiosk`, else that kiosk's keys
// published in the database. Without a signer, no head is checked.
// Heads deleted from the database are found two ways: a gap in a kiosk's
// numbering of its heads (1, 2, 3…), and `outside`: the heads the journal
// forwarded off the box (or an exported copy), each of which must still be in
// the database, unchanged.
Result<AuditCheck> verifyAudit(Store& store,
                               ReceiptSigner* signer = nullptr,
                               std::string_view own_kiosk = {},
                               const std::vector<AuditAnchor>* outside = nullptr);

// The signed heads in journal lines (`journalctl -o cat`, or the kiosk's own
// JSON log): every "audit_anchor" line; other lines are skipped.
std::vector<AuditAnchor> anchorsFromJournal(std::istream& lines);

}  // namespace kiosk::domain
