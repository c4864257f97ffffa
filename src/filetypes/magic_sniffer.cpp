#include "filetypes/magic_sniffer.h"

#include <magic.h>

#include <memory>

namespace kiosk::filetypes {
namespace {

struct MagicCloser {
  void operator()(magic_t m) const { magic_close(m); }
};

magic_t threadCookie() {
  thread_local std::unique_ptr<std::remove_pointer_t<magic_t>, MagicCloser> cookie = [] {
    // No decompression, no following: look at the bytes given and nothing else.
    magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS);
    // The first 256 KiB tell the type; scanning a whole 1 MiB text costs more.
    const std::size_t bytes_max = 256 * 1024;
    if (m) magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes_max);
    if (m && magic_load(m, nullptr) != 0) {
      magic_close(m);
      m = nullptr;
    }
    return std::unique_ptr<std::remove_pointer_t<magic_t>, MagicCloser>(m);
  }();
  return cookie.get();
}

}  // namespace

std::string MagicSniffer::mimeType(std::string_view data) {
  magic_t m = threadCookie();
  if (!m) return "application/octet-stream";
  const char* type = magic_buffer(m, data.data(), data.size());
  return type ? type : "application/octet-stream";
}

}  // namespace kiosk::filetypes
