#include "devices/espeak_speaker.h"

#include <espeak-ng/speak_lib.h>

#include <cstring>
#include <vector>

#include "core/own_stack.h"

namespace kiosk::devices {
namespace {

constexpr std::size_t kCacheBytes = 16u << 20;  // a few hundred phrases
std::vector<short>* g_samples = nullptr;        // the utterance being made; under mutex_

int collect(short* wav, int n, espeak_EVENT*) {
  if (wav && n > 0 && g_samples) g_samples->insert(g_samples->end(), wav, wav + n);
  return 0;
}

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

std::string wavOf(const std::vector<short>& samples, int rate) {
  const auto data = static_cast<std::uint32_t>(samples.size() * 2);
  std::string out;
  out.reserve(44 + data);
  out += "RIFF";
  put32(out, 36 + data);
  out += "WAVEfmt ";
  put32(out, 16);
  put16(out, 1);  // PCM
  put16(out, 1);  // mono
  put32(out, static_cast<std::uint32_t>(rate));
  put32(out, static_cast<std::uint32_t>(rate * 2));
  put16(out, 2);
  put16(out, 16);
  out += "data";
  put32(out, data);
  out.append(reinterpret_cast<const char*>(samples.data()), data);
  return out;
}

Error unavailable(const std::string& detail) {
  return {ErrorCode::kUnavailable, "speech_unavailable",
          "La voce del chiosco non è disponibile: si rivolga al personale dello sportello.",
          detail};
}

}  // namespace

Status EspeakSpeaker::start() {
  if (started_) return {};
  if (!start_error_.empty()) return fail(unavailable(start_error_));
  const int rate =
      espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (rate <= 0) {
    start_error_ = "espeak_Initialize failed (espeak-ng-data missing?)";
    return fail(unavailable(start_error_));
  }
  espeak_SetSynthCallback(collect);
  sample_rate_ = rate;
  started_ = true;
  return {};
}

std::string EspeakSpeaker::describeHere() {
  std::lock_guard lock(mutex_);
  if (auto st = start(); !st) return st.error().detail;
  const char* path = nullptr;
  const char* version = espeak_Info(&path);
  return std::string("espeak-ng ") + (version ? version : "?");
}

// The engine runs on a stack of its own: CivetWeb's worker threads have small ones.
Result<std::string> EspeakSpeaker::wav(const domain::Utterance& u) {
  return runOnOwnStack([&] { return wavHere(u); });
}

std::string EspeakSpeaker::describe() {
  return runOnOwnStack([&] { return describeHere(); });
}

Result<std::string> EspeakSpeaker::wavHere(const domain::Utterance& u) {
  if (u.text.empty() || u.text.size() > 2000 || (u.lang != "it" && u.lang != "en") ||
      u.rate < espeakRATE_MINIMUM || u.rate > espeakRATE_MAXIMUM || u.volume < 0 ||
      u.volume > 200) {
    return fail(Error::invalid("speech_invalid",
                               "Testo da leggere assente o troppo lungo, o lingua, velocità o "
                               "volume non validi."));
  }
  const std::string key =
      u.lang + '|' + std::to_string(u.rate) + '|' + std::to_string(u.volume) + '|' + u.text;
  std::lock_guard lock(mutex_);
  if (!u.personal) {
    if (auto it = cache_.find(key); it != cache_.end()) {
      order_.splice(order_.end(), order_, it->second.second);
      return it->second.first;
    }
  }
  if (auto st = start(); !st) return fail(st.error());
  if (espeak_SetVoiceByName(u.lang == "en" ? "en" : "it") != EE_OK) {
    return fail(unavailable("no espeak-ng voice for " + u.lang));
  }
  espeak_SetParameter(espeakRATE, u.rate, 0);
  espeak_SetParameter(espeakVOLUME, u.volume, 0);
  std::vector<short> samples;
  g_samples = &samples;
  const espeak_ERROR err = espeak_Synth(u.text.c_str(), u.text.size() + 1, 0, POS_CHARACTER, 0,
                                        espeakCHARS_UTF8, nullptr, nullptr);
  g_samples = nullptr;
  if (err != EE_OK) return fail(unavailable("espeak_Synth: " + std::to_string(err)));
  std::string out = wavOf(samples, sample_rate_);
  // What was said is gone from the engine's buffer with the next utterance;
  // our copy of the samples of a personal one is wiped now.
  if (u.personal) std::memset(samples.data(), 0, samples.size() * sizeof(short));
  if (!u.personal && out.size() < kCacheBytes / 8) {
    while (cache_bytes_ + out.size() > kCacheBytes && !order_.empty()) {
      auto old = cache_.find(order_.front());
      cache_bytes_ -= old->second.first.size();
      cache_.erase(old);
      order_.pop_front();
    }
    order_.push_back(key);
    cache_.emplace(key, std::make_pair(out, std::prev(order_.end())));
    cache_bytes_ += out.size();
  }
  return out;
}

}  // namespace kiosk::devices
