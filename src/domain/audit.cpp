#include "domain/audit.h"

#include <algorithm>
#include <istream>
#include <map>
#include <mutex>
#include <set>

#include "core/crypto.h"
#include "core/log.h"
#include "core/rome_time.h"

namespace kiosk::domain {

std::string auditHash(const std::string& prev_hash, const AuditEntry& e) {
  std::string text = prev_hash;
  for (const std::string& part : {std::to_string(e.at), e.actor, e.action, e.subject, e.detail}) {
    text += '|' + std::to_string(part.size()) + ':' + part;
  }
  return crypto::sha256Hex(text);
}

std::string auditAnchorText(const AuditAnchor& a) {
  const std::string rest =
      std::to_string(a.head.id) + ";" + a.head.hash + ";" + std::to_string(a.at);
  // Numbered heads sign their number too; heads from before numbering keep their text.
  if (a.seq > 0) return "CKA2;" + a.kiosk_id + ";" + std::to_string(a.seq) + ";" + rest;
  return "CKA1;" + a.kiosk_id + ";" + rest;
}

Result<Anchoring> anchorAudit(Transaction& tx,
                              ReceiptSigner& signer,
                              const std::string& kiosk_id,
                              std::int64_t now) {
  auto head = tx.auditHead();
  if (!head) return fail(head.error());
  if (!*head) return Anchoring{};
  auto last = tx.lastAuditAnchor();
  if (!last) return fail(last.error());
  if (*last && (*last)->head.id == (*head)->id && (*last)->head.hash == (*head)->hash) {
    return Anchoring{*head, std::nullopt};
  }
  auto seq = tx.nextAnchorSeq(kiosk_id);
  if (!seq) return fail(seq.error());
  AuditAnchor a;
  a.at = now;
  a.kiosk_id = kiosk_id;
  a.head = **head;
  a.seq = *seq;
  a.signature = signer.sign(auditAnchorText(a));
  if (auto st = tx.appendAuditAnchor(a); !st) return fail(st.error());
  return Anchoring{*head, std::move(a)};
}

Result<std::optional<AuditHead>> anchorAuditNow(Store& store,
                                                ReceiptSigner& signer,
                                                const std::string& kiosk_id,
                                                std::int64_t now,
                                                std::string_view what) {
  const auto failed = [&](const Error& e) -> Result<std::optional<AuditHead>> {
    log::warn("audit_anchor_failed",
              {{"for", std::string(what)}, {"reason", e.reason}, {"detail", e.detail}});
    return fail(e);
  };
  // Not behind the fleet's write lock (a receipt is a read): the head read is
  // the last committed one. This kiosk's heads are numbered one at a time.
  static std::mutex numbering;
  std::lock_guard one_at_a_time(numbering);
  auto tx = store.begin(TxMode::kWriteOwn);
  if (!tx) return failed(tx.error());
  auto done = anchorAudit(**tx, signer, kiosk_id, now);
  if (!done) return failed(done.error());
  if (auto st = (*tx)->commit(); !st) return failed(st.error());
  if (const auto& a = done->written) {
    // Off the box too: the journal forwards this line (and a shared database
    // keeps the anchor on another machine), so a rewrite of this kiosk's
    // file cannot also rewrite what others hold.
    log::info("audit_anchor", {{"kiosk_id", kiosk_id},
                               {"at", std::to_string(a->at)},
                               {"head_id", std::to_string(a->head.id)},
                               {"head_hash", a->head.hash},
                               {"seq", std::to_string(a->seq)},
                               {"signature", a->signature}});
  }
  return done->head;
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

Result<AuditCheck> verifyAudit(Store& store,
                               ReceiptSigner* signer,
                               std::string_view own_kiosk,
                               const std::vector<AuditAnchor>* outside) {
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
  // Each kiosk's numbered heads run 1..n without a gap.
  std::map<std::string, std::vector<const AuditAnchor*>> numbered;
  for (const auto& a : *anchors) {
    if (a.seq > 0) numbered[a.kiosk_id].push_back(&a);
  }
  for (auto& [kiosk, list] : numbered) {
    std::sort(list.begin(), list.end(),
              [](const AuditAnchor* x, const AuditAnchor* y) { return x->seq < y->seq; });
    std::int64_t want = 1;
    for (const AuditAnchor* a : list) {
      if (a->seq != want) {
        check.first_broken = a->head.id;
        check.why = "signed heads of kiosk " + kiosk + " are missing (number " +
                    std::to_string(want) +
                    (a->seq - 1 > want ? " to " + std::to_string(a->seq - 1) : std::string()) +
                    " of its numbering): they were deleted";
        return check;
      }
      ++want;
    }
  }
  // Every head the journal holds is still in the database, unchanged.
  if (outside) {
    std::set<std::string> held;
    for (const auto& a : *anchors) held.insert(a.kiosk_id + ";" + a.signature);
    for (const auto& j : *outside) {
      if (held.contains(j.kiosk_id + ";" + j.signature)) continue;
      // The journal is off the box, out of a forger's reach: a head it holds
      // and the database lacks was deleted, whether or not a key of its kiosk
      // is still here to check its signature with (the forger may have
      // removed that too).
      auto genuine =
          verifyByKiosk(**tx, *signer, own_kiosk, j.kiosk_id, auditAnchorText(j), j.signature);
      if (!genuine) return fail(genuine.error());
      check.first_broken = j.head.id;
      check.why = "the signed head of kiosk " + j.kiosk_id + " of " + romeDateTimeText(j.at) +
                  (j.seq > 0 ? " (number " + std::to_string(j.seq) + ")" : std::string()) +
                  " is in the journal but not in the database: it was deleted" +
                  (*genuine ? std::string(" (its signature checks with the kiosk's key)")
                            : std::string(" (no key of that kiosk here checks its signature)"));
      return check;
    }
    check.outside = static_cast<std::int64_t>(outside->size());
  }
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

namespace {

// The value of `"key":"…"` in one log line (the kiosk writes every field as a
// string); empty when absent.
std::string field(const std::string& line, const std::string& key) {
  const std::string open = "\"" + key + "\":\"";
  const auto at = line.find(open);
  if (at == std::string::npos) return {};
  std::string value;
  for (std::size_t i = at + open.size(); i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      value.push_back(line[++i]);
    } else if (line[i] == '"') {
      return value;
    } else {
      value.push_back(line[i]);
    }
  }
  return {};
}

std::int64_t number(const std::string& text) {
  std::int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return text.empty() ? -1 : n;
}

}  // namespace

std::vector<AuditAnchor> anchorsFromJournal(std::istream& lines) {
  std::vector<AuditAnchor> out;
  std::string line;
  while (std::getline(lines, line)) {
    if (field(line, "event") != "audit_anchor") continue;
    AuditAnchor a;
    a.kiosk_id = field(line, "kiosk_id");
    a.at = number(field(line, "at"));
    a.head.id = number(field(line, "head_id"));
    a.head.hash = field(line, "head_hash");
    a.signature = field(line, "signature");
    const std::string seq = field(line, "seq");
    a.seq = seq.empty() ? 0 : number(seq);
    if (a.kiosk_id.empty() || a.at < 0 || a.head.id < 0 || a.seq < 0 || a.signature.empty()) {
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace kiosk::domain
