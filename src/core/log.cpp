#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace kiosk::log {
namespace {

std::mutex g_mutex;
std::atomic<bool> g_quiet{false};

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void write(std::string_view level, std::string_view event, std::initializer_list<Field> fields) {
  nlohmann::json line = {{"ts", timestamp()}, {"level", level}, {"event", event}};
  for (const auto& [key, value] : fields) line[std::string(key)] = value;
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(g_mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void info(std::string_view event, std::initializer_list<Field> fields) {
  if (!g_quiet) write("info", event, fields);
}
void warn(std::string_view event, std::initializer_list<Field> fields) {
  write("warn", event, fields);
}
void error(std::string_view event, std::initializer_list<Field> fields) {
  write("error", event, fields);
}
void setQuiet(bool quiet) { g_quiet = quiet; }

}  // namespace kiosk::log
