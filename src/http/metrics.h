// Metrics: counters and a latency histogram, rendered in the Prometheus text
// format at /metrics. Also the AuthObserver that counts logins. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "domain/auth.h"
#include "domain/notifications.h"

namespace kiosk::http {

class Metrics final : public domain::AuthObserver, public domain::NotificationObserver {
 public:
  void recordRequest(const std::string& method,
                     const std::string& route,
                     int status,
                     double seconds);

  void loginSucceeded(domain::Role role) override;
  void loginFailed() override;
  void accountLocked() override;
  void notification(const std::string& channel, const std::string& result) override;

  // `locked_accounts` is read from the database by the caller (-1: unknown).
  std::string render(std::int64_t locked_accounts) const;

  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  // Requests are counted in shards, one chosen by the worker thread, so
  // that the workers do not queue on one mutex; /metrics adds them up.
  struct alignas(64) RequestShard {
    std::mutex mutex;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t, std::less<>> requests;
    std::array<std::uint64_t, kBuckets.size()> bucket_counts{};
    std::uint64_t latency_count = 0;
    double latency_sum = 0;
  };
  static constexpr std::size_t kShards = 8;
  mutable std::array<RequestShard, kShards> shards_;
  mutable std::mutex mutex_;  // the rest below
  std::map<std::string, std::uint64_t> logins_ok_;
  std::atomic<std::uint64_t> logins_failed_{0};
  std::atomic<std::uint64_t> locks_{0};
  std::map<std::pair<std::string, std::string>, std::uint64_t> notifications_;
};

// The process_* metrics Prometheus clients export (resident and virtual
// memory, CPU seconds, open and maximum file descriptors, start time), from
// /proc/self.
std::string processMetrics();

}  // namespace kiosk::http
