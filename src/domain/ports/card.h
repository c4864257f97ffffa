// CardReader and CardVerifier: the identity cards (CIE, TS-CNS) a
// professional puts in the kiosk's reader. The real reader is a PKCS#11
// module (src/devices/pkcs11_card.h); the verifier checks the card's
// certificate with OpenSSL against the office's CA bundle and CRL
// (src/devices/card_certificates.h). Both are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "domain/ports/printer.h"

namespace kiosk::domain {

struct CardStatus {
  bool configured = false;  // a PKCS#11 module is named in the config
  bool reader = false;      // a reader is connected
  bool card = false;        // a card is in it
  std::string reader_name;  // the reader's own description
  // Tells one card in the reader from the next ("" without a card): the
  // token's serial number and label.
  std::string card_id;
  std::string detail;  // for technicians: the module, why the reader is not there
};

// What the card gave at login: its authentication certificate and its
// signature over the kiosk's challenge.
struct CardProof {
  std::string certificate;  // DER
  std::string signature;    // PKCS#1 v1.5 over SHA-256 (RSA) or DER ECDSA (EC)
  std::string card_id;      // as CardStatus::card_id
};

class CardReader {
 public:
  virtual ~CardReader() = default;
  virtual CardStatus status() = 0;
  // Logs in to the card with `pin`, has it sign `challenge` with the key of
  // its authentication certificate, logs out. Nothing is written to the card.
  // Errors: 503 card_reader_missing, 409 card_missing, 409 card_removed,
  // 409 card_reader_busy, 401 card_pin_wrong (Error::tries_left), 423
  // card_pin_blocked, 422 card_no_certificate.
  virtual Result<CardProof> prove(std::string_view pin, std::string_view challenge) = 0;
  // For technicians: the module, the reader, the CA bundle's expiry.
  virtual DeviceState state() { return {}; }
};

// Who a verified card belongs to, and what the audit log keeps of it.
struct CardHolder {
  std::string codice_fiscale;
  std::string name;         // the certificate's common name
  std::string issuer;       // one line, RFC 2253
  std::string serial;       // the certificate's serial number, hex
  std::string fingerprint;  // SHA-256 of the certificate, hex
  std::int64_t not_after = 0;
};

class CardVerifier {
 public:
  virtual ~CardVerifier() = default;
  // Checks the certificate at `now` (chain to the CA bundle, validity dates,
  // key usage, the CRL where one is configured), the signature over
  // `challenge` with the certificate's key, and takes the codice fiscale.
  // Errors: 401 card_unknown_ca, card_expired, card_not_yet_valid,
  // card_revoked, card_key_usage, card_signature_invalid; 422
  // card_no_codice_fiscale; 503 card_crl_expired, card_ca_missing.
  virtual Result<CardHolder> verify(const CardProof& proof,
                                    std::string_view challenge,
                                    std::int64_t now) = 0;
  // The earliest expiry among the CA bundle's certificates (0: no bundle).
  virtual std::int64_t caExpiry() = 0;
};

}  // namespace kiosk::domain
