// The settings of the kiosk's own devices, as the configuration holds them:
// plain values, so that config/ reads them without the adapters' headers.
#pragma once

#include <string>

namespace kiosk::devices {

struct ScannerSettings {
  std::string device;          // SANE device name ("test" for SANE's test device); empty: none
  std::string mode = "Color";  // "Color", "Gray"
  int resolution = 150;        // dpi
  std::string source;          // "Flatbed", "ADF"…; empty: the device's default
  int timeout_seconds = 60;    // a scan that takes longer is cancelled (waits between pages aside)
  int answer_seconds = 180;    // no answer to "next page?" within this: finish with what is there
  // The longest side a page may have (17 in, longer than legal): a device
  // that keeps sending lines (a stuck feeder) is stopped there, not when the
  // memory or the timeout runs out.
  int max_page_mm = 432;
  // The program a scan runs in, started with kScanHelperFlag (sane_scanner.h):
  // this one.
  std::string helper = "/proc/self/exe";
};

struct CardSettings {
  std::string module;     // PKCS#11 module path; empty: the kiosk has no card reader
  std::string ca_bundle;  // PEM file of the CAs whose cards are accepted
  std::string crl;        // CRL file the technician refreshes; empty: no revocation check
  bool pin_login = true;  // codice fiscale + kiosk PIN stays offered beside the card
  int pin_tries = 3;      // a card's PIN tries when none failed (CIE and TS-CNS: 3)
};

}  // namespace kiosk::devices
