#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

#include "core/json_writer.h"

namespace kiosk::log {
namespace {

std::atomic<bool> g_quiet{false};
// Only the main thread prints with stdio (command output, "listening on").
const std::thread::id g_main_thread = std::this_thread::get_id();

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
  std::string text;
  text.reserve(160);
  JsonWriter w(text);
  w.beginObject().field("ts", timestamp()).field("level", level).field("event", event);
  for (const auto& [key, value] : fields) w.field(key, value);
  w.endObject();
  text.push_back('\n');
  // One write(2) per line, no lock: lines shorter than PIPE_BUF never
  // interleave on a pipe (journald) or an O_APPEND file.
  // Whatever printf left in the buffer goes first. Workers never printf, and
  // stdout's lock taken on every request's line was a point of contention.
  if (std::this_thread::get_id() == g_main_thread) std::fflush(stdout);
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Warn and error lines by (level, event): rare, so one mutex is enough.
std::mutex g_counts_mutex;
std::map<std::pair<std::string, std::string>, std::uint64_t, std::less<>> g_counts;

void count(std::string_view level, std::string_view event) {
  const std::lock_guard lock(g_counts_mutex);
  ++g_counts[{std::string(level), std::string(event)}];
}

}  // namespace

std::vector<EventCount> eventCounts() {
  const std::lock_guard lock(g_counts_mutex);
  std::vector<EventCount> out;
  out.reserve(g_counts.size());
  for (const auto& [key, n] : g_counts) out.push_back({key.first, key.second, n});
  return out;
}

void info(std::string_view event, std::initializer_list<Field> fields) {
  if (!g_quiet) write("info", event, fields);
}
void warn(std::string_view event, std::initializer_list<Field> fields) {
  count("warn", event);
  write("warn", event, fields);
}
void error(std::string_view event, std::initializer_list<Field> fields) {
  count("error", event);
  write("error", event, fields);
}
void setQuiet(bool quiet) { g_quiet = quiet; }

}  // namespace kiosk::log
