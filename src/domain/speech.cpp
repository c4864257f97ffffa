#include "domain/speech.h"

#include "core/json_writer.h"

namespace kiosk::domain {

std::string_view nameOf(AudioPath p) {
  return p == AudioPath::kHeadphones ? "headphones" : "loudspeaker";
}

Result<std::string> SpeechDesk::say(Utterance u) {
  if (u.personal && path_ == AudioPath::kLoudspeaker) {
    u.text = u.lang == "en" ? "Personal data: you hear it only through headphones."
                            : "Dato personale: si ascolta solo in cuffia.";
    u.personal = false;
  }
  auto wav = speaker_.wav(u);
  if (wav && record_) {
    std::string line;
    JsonWriter(line)
        .beginObject()
        .field("text", std::string_view(u.text))
        .field("lang", std::string_view(u.lang))
        .field("path", nameOf(path_))
        .field("personal", u.personal)
        .endObject();
    record_(line);
  }
  return wav;
}

}  // namespace kiosk::domain
