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
};

}  // namespace kiosk::domain
