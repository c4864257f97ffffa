// EspeakSpeaker: speech for the kiosk's audio mode, made on the box by
// libespeak-ng (Debian espeak-ng-data: Italian and English voices), as WAV
// for the kiosk's browser to play. No network. The engine is not
// thread-safe: one utterance at a time, behind a mutex; what is not
// personal (titles, help, labels) is kept in a small cache, personal data
// never. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "domain/ports/speech.h"

namespace kiosk::devices {

class EspeakSpeaker final : public domain::Speaker {
 public:
  EspeakSpeaker() = default;
  EspeakSpeaker(const EspeakSpeaker&) = delete;
  EspeakSpeaker& operator=(const EspeakSpeaker&) = delete;

  // 16-bit mono WAV of the utterance. 422 speech_invalid for bad values,
  // 503 speech_unavailable when the engine or its voice cannot start.
  Result<std::string> wav(const domain::Utterance& u) override;
  std::string describe() override;

 private:
  Result<std::string> wavHere(const domain::Utterance& u);
  std::string describeHere();
  Status start();  // REQUIRES: mutex_ held

  std::mutex mutex_;
  bool started_ = false;  // guarded by mutex_
  int sample_rate_ = 0;   // guarded by mutex_
  std::string start_error_;
  // The cache: key → WAV, least recently used first out.
  std::list<std::string> order_;
  std::unordered_map<std::string, std::pair<std::string, std::list<std::string>::iterator>> cache_;
  std::size_t cache_bytes_ = 0;
};

}  // namespace kiosk::devices
