// OpenSslCardVerifier: the check of an identity card's authentication
// certificate (CIE, TS-CNS) and of its signature over the kiosk's challenge,
// with OpenSSL. The CA bundle and the CRL are read again at each login, so a
// technician's refreshed CRL counts from the next card. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/ports/card.h"

namespace kiosk::devices {

class OpenSslCardVerifier final : public domain::CardVerifier {
 public:
  // `ca_bundle`: PEM file with the trusted CAs (roots and intermediates);
  // `crl`: PEM or DER CRL file, "" for none.
  OpenSslCardVerifier(std::string ca_bundle, std::string crl)
      : ca_bundle_(std::move(ca_bundle)), crl_(std::move(crl)) {}
  Result<domain::CardHolder> verify(const domain::CardProof& proof,
                                    std::string_view challenge,
                                    std::int64_t now) override;
  std::int64_t caExpiry() override;

 private:
  Result<domain::CardHolder> verifyHere(const domain::CardProof& proof,
                                        std::string_view challenge,
                                        std::int64_t now);
  std::string ca_bundle_;
  std::string crl_;
};

// The codice fiscale in a certificate's subject: the serialNumber
// "TINIT-<CF>" (CIE) or the common name "<CF>/…" (TS-CNS); "" when neither
// holds a valid one. `der` is the certificate.
std::string codiceFiscaleOf(std::string_view der);

// The earliest notAfter among the certificates of a PEM bundle (0: none or
// unreadable).
std::int64_t earliestExpiry(const std::string& pem_path);

// A day of UTC time in a strftime format ("%Y-%m-%d").
std::string utcDay(std::int64_t t, const char* format);

// A CRL file's nextUpdate (0: none or unreadable).
std::int64_t crlNextUpdate(const std::string& path);

}  // namespace kiosk::devices
