// CardLogin: a professional logs in with the identity card in the kiosk's
// reader (CIE or TS-CNS) and its PIN, and is logged out the moment the card
// leaves the reader. The card signs a fresh random challenge; the verifier
// checks its certificate and the signature; the codice fiscale in the
// certificate names the professional. The card PIN only passes through:
// never logged, stored or kept (the reader wipes its copy). Every try is
// audited with the certificate's issuer, serial and fingerprint when the
// card gave one. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/auth.h"
#include "domain/document_sources.h"
#include "domain/ports/card.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

class CardLogin {
 public:
  CardLogin(CardReader& reader,
            CardVerifier& verifier,
            AuthService& auth,
            DocumentSources& sources,
            Store& store,
            const Clock& clock)
      : reader_(reader),
        verifier_(verifier),
        auth_(auth),
        sources_(sources),
        store_(store),
        clock_(clock) {}

  // The reader as the welcome screen shows it.
  CardStatus status();
  // The earliest expiry among the accepted CAs (0: no bundle).
  std::int64_t caExpiry() { return verifier_.caExpiry(); }

  // Logs in with the card in the reader. Errors: those of CardReader::prove
  // and CardVerifier::verify, 422 card_pin_format before the card is asked
  // (a PIN is 5 to 8 digits: no try of the card is spent on a typo), 403
  // card_not_in_archive.
  Result<LoginResult> login(std::string_view pin);

  // Looks at the reader (the kiosk calls it a few times a second) and ends
  // every session opened with a card that is no longer in it. Answers the
  // token hashes of the sessions it ended.
  std::vector<std::string> watch();

 private:
  Status audit(const std::string& subject, const std::string& detail);

  CardReader& reader_;
  CardVerifier& verifier_;
  AuthService& auth_;
  DocumentSources& sources_;
  Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  // Card id → the sessions opened with it (token hashes), each with the
  // number of logins before it: a look at the reader taken before a login
  // never ends that login's session.
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::string>>> bound_;
  std::uint64_t logins_ = 0;  // guarded by mutex_
};

// A PIN a card can take: 5 to 8 digits (CIE: 8, TS-CNS: 5 to 8).
bool plausibleCardPin(std::string_view pin);

}  // namespace kiosk::domain
