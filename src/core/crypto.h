// Thin wrappers over libsodium: random tokens, SHA-256, and argon2id hashes
// for PINs and passwords. Thread-safe once initCrypto() has run (it is cheap
// and idempotent; every entry point here calls it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::crypto {

// Returns false when libsodium cannot start (no entropy source).
bool init();

// `bytes` random bytes, hex-encoded (so 2*bytes characters).
std::string randomHex(std::size_t bytes);

// `count` random decimal digits, each uniform (a one-time code).
std::string randomDigits(std::size_t count);

// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

// SHA-256 of a file and its size, read in 1 MiB pieces (a backup's database
// holds every attachment: it is never read into memory whole). nullopt when
// it cannot be read to its end.
struct FileDigest {
  std::string sha256;
  std::uint64_t size = 0;
};
std::optional<FileDigest> sha256File(const std::string& path);

// argon2id with libsodium's interactive limits (~0.1 s). Empty on failure
// (out of memory).
std::string hashSecret(std::string_view secret);

// Constant-time with respect to the secret; false for a malformed hash.
bool verifySecret(std::string_view hash, std::string_view secret);

// Spends the same time as a verification against nothing, so that an
// unknown user and a wrong PIN cannot be told apart by timing.
void burnVerification(std::string_view secret);

}  // namespace kiosk::crypto
