// The audit log's hash chain: each entry carries the SHA-256 of the entry
// before it, so a changed or removed entry breaks the chain from there on.
// Pure functions, thread-safe.
#pragma once

#include <string>

#include "domain/model.h"

namespace kiosk::domain {

// The hash of the first entry's predecessor.
inline constexpr const char* kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// SHA-256 over the previous hash and the entry's fields, each length-prefixed
// so that no two different entries hash the same text.
std::string auditHash(const std::string& prev_hash, const AuditEntry& entry);

}  // namespace kiosk::domain
