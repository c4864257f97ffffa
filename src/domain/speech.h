// SpeechDesk: what the audio mode says, and through which path. A kiosk's
// voice goes to headphones (a jack, as on a cash machine) or to a
// loudspeaker others can hear: on the loudspeaker, personal data is never
// spoken (the person hears that it is withheld and why). Each utterance can
// be recorded with its language and path (`[speech] record`, the tests'
// sink). Thread-safe.
#pragma once

#include <functional>
#include <string>

#include "core/error.h"
#include "domain/ports/speech.h"

namespace kiosk::domain {

enum class AudioPath { kHeadphones, kLoudspeaker };

class SpeechDesk {
 public:
  // `record`: called with one JSON line per utterance (none: no record).
  SpeechDesk(Speaker& speaker, AudioPath path, std::function<void(const std::string&)> record = {})
      : speaker_(speaker), path_(path), record_(std::move(record)) {}

  Result<std::string> say(Utterance u);
  AudioPath path() const { return path_; }
  std::string engine() { return speaker_.describe(); }

 private:
  Speaker& speaker_;
  AudioPath path_;
  std::function<void(const std::string&)> record_;
};

std::string_view nameOf(AudioPath p);  // "headphones", "loudspeaker"

}  // namespace kiosk::domain
