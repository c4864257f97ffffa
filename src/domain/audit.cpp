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

}  // namespace kiosk::domain
