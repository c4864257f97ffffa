// Speaker: the voice of the kiosk's audio mode (EN 301 549 5.1.3): text to
// WAV for the kiosk's own browser to play. The real one is libespeak-ng
// (src/devices/espeak_speaker.h). Thread-safe.
#pragma once

#include <string>

#include "core/error.h"

namespace kiosk::domain {

struct Utterance {
  std::string text;         // ≤ 2,000 bytes of UTF-8
  std::string lang = "it";  // "it" or "en"
  int rate = 175;           // words a minute, 80–450
  int volume = 100;         // 0–200 (100: normal)
  bool personal = false;    // holds personal data (codice fiscale, PEC…): never cached
};

class Speaker {
 public:
  virtual ~Speaker() = default;
  // 16-bit mono WAV. 422 speech_invalid for bad values, 503
  // speech_unavailable when the engine or its voice cannot start.
  virtual Result<std::string> wav(const Utterance& u) = 0;
  // "espeak-ng 1.51", or why it cannot start.
  virtual std::string describe() = 0;
};

}  // namespace kiosk::domain
