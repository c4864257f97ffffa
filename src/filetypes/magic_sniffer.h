// MagicSniffer: FileSniffer over libmagic (the `file` command's database).
// A libmagic handle is not thread-safe: the process has one, used by one
// thread at a time (see magic_sniffer.cpp). Thread-safe.
#pragma once

#include "domain/ports/file_sniffer.h"

namespace kiosk::filetypes {

class MagicSniffer final : public domain::FileSniffer {
 public:
  std::string mimeType(std::string_view data) override;
  // OpenSSL's CMS parser (DER or BER): the embedded content of a SignedData.
  std::optional<std::string> signedContent(std::string_view data) override;
};

}  // namespace kiosk::filetypes
