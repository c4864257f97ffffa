// Structured logging: one JSON object per line on standard output, so that
// journald and log shippers read it as is. Callers must never pass a PIN,
// password, token or message text. Thread-safe (lines never interleave).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk::log {

using Field = std::pair<std::string_view, std::string>;

void info(std::string_view event, std::initializer_list<Field> fields = {});
void warn(std::string_view event, std::initializer_list<Field> fields = {});
void error(std::string_view event, std::initializer_list<Field> fields = {});

// How many warn and error lines each event has written since the start, so
// that a failure on a periodic path (the audit anchor, the session sweep)
// shows in /metrics as well as in the journal.
struct EventCount {
  std::string level;
  std::string event;
  std::uint64_t count = 0;
};
std::vector<EventCount> eventCounts();

// Silences info lines (tests set this to keep their output readable).
void setQuiet(bool quiet);

}  // namespace kiosk::log
