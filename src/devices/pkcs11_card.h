// Pkcs11Card: the kiosk's card reader, through a PKCS#11 module (OpenSC's
// opensc-pkcs11.so with pcscd for CIE and TS-CNS, or the module the config
// names), loaded and initialised by p11-kit. It only reads the card and asks
// it to sign: nothing is ever written to it. Thread-safe: one call into the
// module at a time; status() answers from the last look while a login holds
// the reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "devices/device_settings.h"
#include "domain/ports/card.h"

namespace kiosk::devices {

class Pkcs11Card final : public domain::CardReader {
 public:
  explicit Pkcs11Card(CardSettings settings) : settings_(std::move(settings)) {}
  ~Pkcs11Card() override;
  Pkcs11Card(const Pkcs11Card&) = delete;
  Pkcs11Card& operator=(const Pkcs11Card&) = delete;

  domain::CardStatus status() override;
  Result<domain::CardProof> prove(std::string_view pin, std::string_view challenge) override;
  // For technicians: the module, the reader, the CA bundle's expiry.
  domain::DeviceState state() override;

 private:
  domain::CardStatus statusHere();
  Result<domain::CardProof> proveHere(std::string_view pin, std::string_view challenge);
  // REQUIRES: mutex_ held. Loads and initialises the module once.
  Status load();
  // REQUIRES: mutex_ held.
  // `card_slot`, when given, gets the slot holding the card.
  domain::CardStatus look(unsigned long* card_slot = nullptr);

  CardSettings settings_;
  std::timed_mutex mutex_;
  void* module_ = nullptr;  // the module's CK_FUNCTION_LIST (p11-kit stays out of this header);
                            // guarded by mutex_
  std::string load_error_;  // guarded by mutex_
  std::mutex last_mutex_;
  domain::CardStatus last_;  // the last look, guarded by last_mutex_
};

// A reader for a kiosk without one.
class NoCardReader final : public domain::CardReader {
 public:
  domain::CardStatus status() override { return {}; }
  Result<domain::CardProof> prove(std::string_view, std::string_view) override;
};

}  // namespace kiosk::devices
