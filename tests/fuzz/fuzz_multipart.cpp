// libFuzzer target: the multipart glue (FormCollector, the state behind
// CivetWeb's form callbacks) keeps every limit whatever order and size of
// callbacks the parser makes. The input is a script of callbacks:
//   0 klen key flen filename   field_found (flen 0: a plain field)
//   1 len bytes…               field_get
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kiosk::http::FormLimits limits;
  limits.max_files = 3;
  limits.max_file_bytes = 64;
  limits.max_total_bytes = 300;
  limits.max_fields = 4;
  limits.max_field_bytes = 40;
  kiosk::http::FormCollector form(limits);
  std::size_t i = 0;
  auto take = [&](std::size_t n) {
    std::string s(reinterpret_cast<const char*>(data + i), std::min(n, size - i));
    i += s.size();
    return s;
  };
  bool go = true;
  while (go && i < size) {
    const std::uint8_t op = data[i++] % 2;
    if (op == 0) {
      const std::string key = take(i < size ? data[i++] % 16 : 0);
      const std::string filename = take(i < size ? data[i++] % 16 : 0);
      go = form.fieldFound(key.c_str(), filename.empty() ? nullptr : filename.c_str());
    } else {
      const std::string chunk = take(i < size ? data[i++] : 0);
      go = form.fieldData(chunk.data(), chunk.size());
    }
  }
  if (form.failed()) return 0;
  const auto result = form.take();
  if (result.files.size() > limits.max_files || result.fields.size() > limits.max_fields) {
    std::abort();
  }
  std::size_t total = 0;
  for (const auto& f : result.files) {
    if (f.data.size() > limits.max_file_bytes) std::abort();
    total += f.data.size();
  }
  for (const auto& [k, v] : result.fields) {
    if (v.size() > limits.max_field_bytes) std::abort();
    total += v.size();
  }
  if (total > limits.max_total_bytes) std::abort();
  return 0;
}
