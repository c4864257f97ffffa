// libFuzzer target: the kiosk's own multipart/form-data parser keeps every
// limit, never crashes and never loses a part silently, whatever the body and
// however it is cut into reads. Boundary "B". The input:
//   byte 0   the read size: 1–64 bytes, or that many KiB when its top bit is set
//            (at least a 256th of the run below)
//   byte 1   a run of filler to insert, in KiB (0–255): a short input then
//            reaches what only long bodies reach, the 64 KiB compaction of
//            consumed bytes and the 16 KiB bound on one part's headers
//   byte 2   the filler byte
//   byte 3   where the run goes, as a fraction of the body (n/256)
//   the rest the body
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  kiosk::http::FormLimits limits;
  limits.max_files = 3;
  limits.max_file_bytes = 200 * 1024;
  limits.max_total_bytes = 300 * 1024;
  limits.max_fields = 4;
  limits.max_field_bytes = 40;
  const std::size_t run = std::size_t{data[1]} * 1024;
  // With a long run, reads of at least run/256 bytes: a few hundred feeds an
  // input, so that the fuzzer still runs thousands of inputs a second.
  const std::size_t step =
      std::max<std::size_t>((1 + data[0] % 64) * (data[0] & 0x80 ? 1024 : 1), run / 256);
  std::string body(reinterpret_cast<const char*>(data + 4), size - 4);
  const std::size_t at = body.size() * data[3] / 256;
  body.insert(at, run, static_cast<char>(data[2]));
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
