// Ed25519Signer: the kiosk's receipt key (libsodium). The key pair is made at
// first start and kept in a file of mode 0600 (hex of the 64-byte secret
// key, which holds the public key too). A keyring: rotating the key keeps the
// public halves of the earlier ones in PATH.retired ("KEYID PUBLICHEX" per
// line), so receipts and signed heads of an older key still verify. A key's
// id is the first 16 hex digits of SHA-256 of its public key. Thread-safe
// after open().
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "domain/ports/receipt_signer.h"

namespace kiosk::receipts {

class Ed25519Signer final : public domain::ReceiptSigner {
 public:
  // Loads the key from `path`, or makes one there when the file is missing.
  // kUnavailable when it can be neither read nor written; kInvalid when the
  // file exists but is not a key or is readable by others.
  static Result<std::unique_ptr<Ed25519Signer>> open(const std::string& path);

  // Retires the key at `path` (its public half goes to PATH.retired) and makes
  // a new one there. The running kiosk keeps the old key until restarted.
  static Status rotate(const std::string& path);

  std::string sign(std::string_view message) override;
  // With the current key, else with any retired one.
  bool verify(std::string_view message, std::string_view signature) override;
  std::string publicKeyHex() const override;
  bool verifyWith(std::string_view public_key_hex,
                  std::string_view message,
                  std::string_view signature) override;
  std::string keyId() const { return keyIdOf(public_); }
  std::string signingKeyId() const override { return keyId(); }
  // "KEYID PUBLICHEX" of the retired keys, oldest first.
  const std::vector<std::string>& retired() const { return retired_lines_; }
  static std::string keyIdOf(const std::array<unsigned char, 32>& public_key);

 private:
  Ed25519Signer() = default;
  std::array<unsigned char, 64> secret_{};
  std::array<unsigned char, 32> public_{};
  std::vector<std::array<unsigned char, 32>> retired_;
  std::vector<std::string> retired_lines_;
};

// Checks signatures with public keys only (those published in the database):
// for audit-verify on a desk that holds no private key. It signs nothing.
class Ed25519Verifier final : public domain::ReceiptSigner {
 public:
  std::string sign(std::string_view) override { return {}; }
  bool verify(std::string_view, std::string_view) override { return false; }
  bool verifyWith(std::string_view public_key_hex,
                  std::string_view message,
                  std::string_view signature) override;
};

}  // namespace kiosk::receipts
