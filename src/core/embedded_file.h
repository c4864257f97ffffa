// A file compiled into the binary (migrations, web assets): its name and bytes.
#pragma once

#include <string_view>

namespace kiosk {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

}  // namespace kiosk
