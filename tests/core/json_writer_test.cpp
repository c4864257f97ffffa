// JsonWriter, the only JSON encoder of the kiosk's answers and log lines:
// what it writes is read back by a real JSON parser (nlohmann::json) as the
// same values, whatever the bytes.
#include "core/json_writer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

using namespace kiosk;

namespace {

std::string written(std::string_view s) {
  std::string out;
  JsonWriter::escape(out, s);
  return out;
}

nlohmann::json parsed(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

}  // namespace

TEST_CASE("json: strings with quotes, backslashes, controls and Unicode read back the same",
          "[json]") {
  for (const std::string& s : std::vector<std::string>{
           "", "plain", "a \"quoted\" word", "back\\slash", "line\nnext\ttab\rret",
           std::string("nul\0byte", 8), "\x01\x1f\x7f", "Perché è già così · €", "😀 fuori BMP",
           "\xE2\x80\xA8 separatore di riga", "</script><script>alert(1)</script>"}) {
    const auto text = written(s);
    const auto back = parsed(text);
    REQUIRE_FALSE(back.is_discarded());
    CHECK(back.get<std::string>() == s);
    // Nothing below 0x20 goes out raw (a log line stays one line).
    CHECK(std::none_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
  }
}

TEST_CASE("json: bytes that are not UTF-8 become U+FFFD, never invalid JSON", "[json]") {
  for (const std::string& s :
       std::vector<std::string>{"\xff", "ok\xc3", "\xc0\xaf overlong", "\xed\xa0\x80 surrogate",
                                "caff\xe8 latin-1", "\x80\x80\x80"}) {
    const auto back = parsed(written(s));
    REQUIRE_FALSE(back.is_discarded());
    CHECK(back.get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
  }
  // Random bytes, many times: always one valid JSON string.
  std::mt19937 rng(2026);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    REQUIRE_FALSE(parsed(written(s)).is_discarded());
  }
}

TEST_CASE("json: objects, arrays, numbers and nulls nest with commas in the right places",
          "[json]") {
  std::string out;
  JsonWriter w(out);
  w.beginObject()
      .field("id", std::int64_t{9007199254740993})
      .field("neg", -42)
      .field("ok", true)
      .field("no", false)
      .key("ratio")
      .number(0.25)
      .key("inf")
      .number(std::numeric_limits<double>::infinity())
      .key("nan")
      .number(std::nan(""))
      .key("nothing")
      .null()
      .field("list", std::vector<std::string>{"a", "b\"c"})
      .key("empty")
      .beginArray()
      .endArray()
      .key("rows")
      .beginArray()
      .beginObject()
      .field("x", 1)
      .endObject()
      .beginObject()
      .endObject()
      .endArray()
      .endObject();
  const auto j = parsed(out);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["id"].get<std::int64_t>() == 9007199254740993);
  CHECK(j["neg"] == -42);
  CHECK(j["ok"] == true);
  CHECK(j["no"] == false);
  CHECK(j["ratio"] == 0.25);
  CHECK(j["inf"].is_null());  // not "inf", which no parser reads
  CHECK(j["nan"].is_null());
  CHECK(j["nothing"].is_null());
  CHECK(j["list"] == nlohmann::json({"a", "b\"c"}));
  CHECK(j["empty"] == nlohmann::json::array());
  CHECK(j["rows"].size() == 2);
  CHECK(j["rows"][0]["x"] == 1);
}
