// ReceiptSigner: signs and verifies receipt records with the kiosk's key.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kiosk::domain {

class ReceiptSigner {
 public:
  virtual ~ReceiptSigner() = default;
  // The detached signature of `message`, base64url without padding.
  virtual std::string sign(std::string_view message) = 0;
  // false for a malformed or wrong signature.
  virtual bool verify(std::string_view message, std::string_view signature) = 0;
  // The id of the key that signs now ("" when the signer has none).
  virtual std::string signingKeyId() const { return {}; }
  // The public half of the key that signs now, hex ("" when none).
  virtual std::string publicKeyHex() const { return {}; }
  // false unless `signature` over `message` is by the key `public_key_hex`
  // (another kiosk's key, published in a shared database).
  virtual bool verifyWith(std::string_view public_key_hex,
                          std::string_view message,
                          std::string_view signature) {
    (void)public_key_hex;
    (void)message;
    (void)signature;
    return false;
  }
};

}  // namespace kiosk::domain
