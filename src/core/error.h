// Error and Result: the one error type that crosses module borders.
//
// An Error carries a broad category (`code`, which the HTTP layer maps to a
// status), a stable snake_case `reason` that clients may rely on (the
// "error.code" of CONTRACT.md) and an Italian `message` for the screen.
// Values, not exceptions: functions return Result<T> = std::expected<T, Error>.
// Thread safety: plain values.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace kiosk {

enum class ErrorCode {
  kInvalid,             // the input breaks a rule (422)
  kBadRequest,          // the request itself is malformed (400)
  kTooLarge,            // the request body is over its limit (413)
  kNotFound,            // no such thing, or not yours (404)
  kConflict,            // the state forbids it (409)
  kUnauthenticated,     // no valid session or wrong credentials (401)
  kForbidden,           // wrong role or missing CSRF token (403)
  kLocked,              // account locked (423)
  kTimeout,             // the request arrived too slowly (408)
  kTooMany,             // too many tries from this client in a short time (429)
  kUnavailable,         // a device or the database does not answer (503)
  kStorageFull,         // the disk is full or below its reserve (507)
  kStorageUnavailable,  // the database cannot take writes: read-only, an I/O error (503)
  kInternal,            // a bug or an unexpected failure (500)
};

struct Error {
  Error() = default;
  Error(ErrorCode c, std::string r, std::string m, std::string d = {})
      : code(c), reason(std::move(r)), message(std::move(m)), detail(std::move(d)) {}

  ErrorCode code = ErrorCode::kInternal;
  std::string reason = "internal";  // stable snake_case code for clients
  std::string message = "Si è verificato un errore interno. Riprovi più tardi.";
  std::string detail;   // technical detail for the log, never shown
  int tries_left = -1;  // where the error counts tries (a card's PIN): how many are left

  static Error invalid(std::string reason, std::string message) {
    return {ErrorCode::kInvalid, std::move(reason), std::move(message)};
  }
  static Error notFound(std::string message = "Elemento non trovato.") {
    return {ErrorCode::kNotFound, "not_found", std::move(message)};
  }
  static Error conflict(std::string reason, std::string message) {
    return {ErrorCode::kConflict, std::move(reason), std::move(message)};
  }
  static Error internal(std::string detail) {
    // The detail goes to the log only; the screen gets the generic message.
    Error e;
    e.detail = std::move(detail);
    return e;
  }
  static Error unavailable(std::string reason, std::string message) {
    return {ErrorCode::kUnavailable, std::move(reason), std::move(message)};
  }
  // The disk is full, or below the reserve kept for what is already under way (507).
  static Error storageFull(std::string detail = {}) {
    return {ErrorCode::kStorageFull, "storage_full",
            "Lo spazio di archiviazione del chiosco è esaurito: per ora non si possono "
            "registrare nuove comunicazioni. Si rivolga al personale dello sportello.",
            std::move(detail)};
  }
  // The database cannot be written: read-only, or an I/O error (503).
  static Error storageUnavailable(std::string detail = {}) {
    return {ErrorCode::kStorageUnavailable, "storage_unavailable",
            "L'archivio del chiosco non accetta modifiche in questo momento: le comunicazioni "
            "già registrate restano consultabili. Si rivolga al personale dello sportello.",
            std::move(detail)};
  }
  // True for the two errors above: the storage, not the request, is at fault.
  bool isStorageFault() const {
    return code == ErrorCode::kStorageFull || code == ErrorCode::kStorageUnavailable;
  }
  // The same error with a technical detail for the log.
  Error withDetail(std::string d) const {
    Error e = *this;
    e.detail = std::move(d);
    return e;
  }
};

template <typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace kiosk
