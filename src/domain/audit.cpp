#include "domain/audit.h"

#include <map>

#include "core/crypto.h"
#include "core/log.h"

namespace kiosk::domain {

std::string auditHash(const std::string& prev_hash, const AuditEntry& e) {
  std::string text = prev_hash;
  for (const std::string& part : {std::to_string(e.at), e.actor, e.action, e.subject, e.detail}) {
    text += '|' + std::to_string(part.size()) + ':' + part;
  }
  return crypto::sha256Hex(text);
}

std::string auditAnchorText(const AuditAnchor& a) {
  return "CKA1;" + a.kiosk_id + ";" + std::to_string(a.head.id) + ";" + a.head.hash + ";" +
         std::to_string(a.at);
}

Result<std::optional<AuditHead>> anchorAudit(Transaction& tx,
                                             ReceiptSigner& signer,
                                             const std::string& kiosk_id,
                                             std::int64_t now) {
  auto head = tx.auditHead();
  if (!head) return fail(head.error());
  if (!*head) return head;
  auto last = tx.lastAuditAnchor();
  if (!last) return fail(last.error());
  if (*last && (*last)->head.id == (*head)->id && (*last)->head.hash == (*head)->hash) {
    return head;
  }
  AuditAnchor a;
  a.at = now;
  a.kiosk_id = kiosk_id;
  a.head = **head;
  a.signature = signer.sign(auditAnchorText(a));
  if (auto st = tx.appendAuditAnchor(a); !st) return fail(st.error());
  // Off the box too: the journal forwards this line (and a shared database
  // keeps the anchor on another machine), so a rewrite of this kiosk's file
  // cannot also rewrite what others hold.
  log::info("audit_anchor", {{"kiosk_id", kiosk_id},
                             {"at", std::to_string(now)},
                             {"head_id", std::to_string(a.head.id)},
                             {"head_hash", a.head.hash},
                             {"signature", a.signature}});
  return head;
}

Result<bool> verifyInFleet(Transaction& tx,
                           ReceiptSigner& signer,
                           std::string_view message,
                           std::string_view signature) {
  if (signer.verify(message, signature)) return true;
  auto keys = tx.receiptKeys();
  if (!keys) return fail(keys.error());
  for (const auto& k : *keys) {
    if (signer.verifyWith(k.public_key, message, signature)) return true;
  }
  return false;
}

Result<std::optional<std::string>> signingKiosk(Transaction& tx,
                                                ReceiptSigner& signer,
                                                std::string_view message,
                                                std::string_view signature) {
  auto keys = tx.receiptKeys();
  if (!keys) return fail(keys.error());
  for (const auto& k : *keys) {
    if (signer.verifyWith(k.public_key, message, signature)) return std::optional(k.kiosk_id);
  }
  if (signer.verify(message, signature)) return std::optional(std::string());
  return std::optional<std::string>();
}

// True when `signature` is by a key of kiosk `kiosk_id`: one it published in
// the database, or this kiosk's own keyring when the head names this kiosk.
// A key published under another kiosk's id proves nothing about this one.
Result<bool> verifyByKiosk(Transaction& tx,
                           ReceiptSigner& signer,
                           std::string_view own_kiosk,
                           std::string_view kiosk_id,
                           std::string_view message,
                           std::string_view signature) {
  if (kiosk_id == own_kiosk && signer.verify(message, signature)) return true;
  auto keys = tx.receiptKeys();
  if (!keys) return fail(keys.error());
  for (const auto& k : *keys) {
    if (k.kiosk_id == kiosk_id && signer.verifyWith(k.public_key, message, signature)) return true;
  }
  return false;
}

Result<AuditCheck> verifyAudit(Store& store, ReceiptSigner* signer, std::string_view own_kiosk) {
  auto tx = store.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  AuditCheck check;
  std::string expected_prev = kAuditGenesis;
  std::map<std::int64_t, std::string> hashes;  // id → hash, for the anchors
  auto st = (*tx)->scanAudit(
      [&](std::int64_t id, const AuditEntry& e, const std::string& prev, const std::string& hash) {
        ++check.entries;
        hashes[id] = hash;
        if (prev != expected_prev) {
          check.first_broken = id;
          check.why = "it does not point at the entry before it (one was removed or inserted)";
          return false;
        }
        if (hash != auditHash(prev, e)) {
          check.first_broken = id;
          check.why = "its content does not match its hash (it was changed)";
          return false;
        }
        expected_prev = hash;
        return true;
      });
  if (!st) return fail(st.error());
  if (check.first_broken || !signer) return check;
  auto anchors = (*tx)->auditAnchors();
  if (!anchors) return fail(anchors.error());
  for (const auto& a : *anchors) {
    ++check.anchors;
    auto signed_ok =
        verifyByKiosk(**tx, *signer, own_kiosk, a.kiosk_id, auditAnchorText(a), a.signature);
    if (!signed_ok) return fail(signed_ok.error());
    if (!*signed_ok) {
      check.first_broken = a.head.id;
      check.why = "the signed head of " + std::to_string(a.at) + " (anchor " +
                  std::to_string(a.id) + ") does not carry the signature of kiosk " + a.kiosk_id;
      return check;
    }
    auto it = hashes.find(a.head.id);
    if (it == hashes.end()) {
      check.first_broken = a.head.id;
      check.why = "a signed head (anchor " + std::to_string(a.id) +
                  ") names this entry, which is gone: the log was cut";
      return check;
    }
    if (it->second != a.head.hash) {
      check.first_broken = a.head.id;
      check.why = "its hash differs from the signed head (anchor " + std::to_string(a.id) +
                  "): the log was rewritten";
      return check;
    }
  }
  return check;
}

}  // namespace kiosk::domain
