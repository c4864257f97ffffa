// FileSniffer: tells a file's type from its bytes, never from its name.
// Implementations must be safe to call from several threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiosk::domain {

class FileSniffer {
 public:
  virtual ~FileSniffer() = default;
  // A MIME type such as "application/pdf"; "application/octet-stream" when unknown.
  virtual std::string mimeType(std::string_view data) = 0;
  // The content a CMS SignedData (.p7m) carries inside it; nullopt when the
  // data is not such an envelope or its content is detached. The signature
  // itself is not checked here: only what is inside is judged.
  virtual std::optional<std::string> signedContent(std::string_view /*data*/) {
    return std::nullopt;
  }
};

}  // namespace kiosk::domain
