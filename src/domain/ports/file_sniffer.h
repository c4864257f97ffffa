// FileSniffer: tells a file's type from its bytes, never from its name.
// Implementations must be safe to call from several threads at once.
#pragma once

#include <string>
#include <string_view>

namespace kiosk::domain {

class FileSniffer {
 public:
  virtual ~FileSniffer() = default;
  // A MIME type such as "application/pdf"; "application/octet-stream" when unknown.
  virtual std::string mimeType(std::string_view data) = 0;
};

}  // namespace kiosk::domain
