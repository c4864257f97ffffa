// JsonWriter: appends compact JSON to a string, escaping as it goes. For the
// hot paths (lists, threads, log lines) where building a DOM first costs more
// than the rest of the request. REQUIRES: strings are valid UTF-8 (invalid
// bytes are replaced by U+FFFD). Not thread-safe; one writer per output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(bool v);
  // A finite number (a non-finite one is written as null).
  JsonWriter& number(double v);
  JsonWriter& null();
  // A member: key then value.
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& field(std::string_view k, const std::vector<std::string>& list);

  // Appends `s` as a JSON string literal (with quotes).
  static void escape(std::string& out, std::string_view s);

 private:
  void separator();
  std::string& out_;
  std::vector<bool> first_;  // per open container: no member written yet
  bool after_key_ = false;
};

}  // namespace kiosk
