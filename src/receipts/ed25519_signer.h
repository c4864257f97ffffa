// Ed25519Signer: the kiosk's receipt key (libsodium). The key pair is made at
// first start and kept in a file of mode 0600 (hex of the 64-byte secret
// key, which holds the public key too). Thread-safe after open().
#pragma once

#include <array>
#include <memory>
#include <string>

#include "core/error.h"
#include "domain/ports/receipt_signer.h"

namespace kiosk::receipts {

class Ed25519Signer final : public domain::ReceiptSigner {
 public:
  // Loads the key from `path`, or makes one there when the file is missing.
  // kUnavailable when it can be neither read nor written; kInvalid when the
  // file exists but is not a key or is readable by others.
  static Result<std::unique_ptr<Ed25519Signer>> open(const std::string& path);

  std::string sign(std::string_view message) override;
  bool verify(std::string_view message, std::string_view signature) override;
  std::string publicKeyHex() const;

 private:
  Ed25519Signer() = default;
  std::array<unsigned char, 64> secret_{};
  std::array<unsigned char, 32> public_{};
};

}  // namespace kiosk::receipts
