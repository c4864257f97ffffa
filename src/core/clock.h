// Clock: the source of "now" for every rule that depends on time (sessions,
// lockouts, audit). Tests inject a FakeClock. Implementations must be safe to
// call from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace kiosk {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual std::int64_t nowSeconds() const = 0;
  // Seconds on a clock that never steps (boot time based): for durations
  // inside one run, which a wall-clock step must neither end nor stretch.
  virtual std::int64_t monotonicSeconds() const { return nowSeconds(); }
};

class SystemClock final : public Clock {
 public:
  std::int64_t nowSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t monotonicSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace kiosk
