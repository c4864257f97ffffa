// libFuzzer target: the kiosk's own multipart/form-data parser keeps every
// limit, never crashes and never loses a part silently, whatever the body and
// however it is cut into reads. The first byte picks the read size; the rest
// is the body, with boundary "B".
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  kiosk::http::FormLimits limits;
  limits.max_files = 3;
  limits.max_file_bytes = 64;
  limits.max_total_bytes = 300;
  limits.max_fields = 4;
  limits.max_field_bytes = 40;
  const std::size_t step = 1 + data[0] % 64;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  kiosk::http::MultipartParser parser("B", limits);
  for (std::size_t i = 0; i < body.size(); i += step) {
    if (!parser.feed(std::string_view(body).substr(i, step))) break;
  }
  const auto result = parser.finish();
  if (!result) return 0;
  if (result->files.size() > limits.max_files || result->fields.size() > limits.max_fields) {
    std::abort();
  }
  std::size_t total = 0;
  for (const auto& f : result->files) {
    if (f.data.size() > limits.max_file_bytes || f.field != "attachments") std::abort();
    total += f.data.size();
  }
  for (const auto& [k, v] : result->fields) {
    if (v.size() > limits.max_field_bytes || k.empty()) std::abort();
    total += v.size();
  }
  if (total > limits.max_total_bytes) std::abort();
  return 0;
}
