// libFuzzer target: cleanFilename() must always give a safe display name.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/utf8.h"
#include "domain/attachments.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::string name = kiosk::domain::cleanFilename(raw);
  const bool safe = !name.empty() && name.size() <= 255 && kiosk::utf8::isValid(name) &&
                    name.find_first_of("/\\") == std::string::npos && name.front() != '.' &&
                    name.front() != ' ';
  bool controls = false;
  for (unsigned char c : name) controls = controls || c < 0x20 || c == 0x7F;
  if (!safe || controls) std::abort();
  return 0;
}
