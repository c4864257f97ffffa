#include "domain/audit.h"

#include "core/crypto.h"

namespace kiosk::domain {

std::string auditHash(const std::string& prev_hash, const AuditEntry& e) {
  std::string text = prev_hash;
  for (const std::string& part : {std::to_string(e.at), e.actor, e.action, e.subject, e.detail}) {
    text += '|' + std::to_string(part.size()) + ':' + part;
  }
  return crypto::sha256Hex(text);
}

Result<AuditCheck> verifyAudit(Store& store) {
  auto tx = store.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  AuditCheck check;
  std::string expected_prev = kAuditGenesis;
  auto st = (*tx)->scanAudit(
      [&](std::int64_t id, const AuditEntry& e, const std::string& prev, const std::string& hash) {
        ++check.entries;
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
  return check;
}

}  // namespace kiosk::domain
