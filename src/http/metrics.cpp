#include "http/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "core/log.h"

namespace kiosk::http {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void Metrics::recordRequest(const std::string& method,
                            const std::string& route,
                            int status,
                            double seconds) {
  RequestShard& shard = shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.requests.find(std::tie(method, route, status));
  if (it == shard.requests.end())
    it = shard.requests.emplace(std::tuple(method, route, status), 0).first;
  ++it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++shard.bucket_counts[i];
  }
  ++shard.latency_count;
  shard.latency_sum += seconds;
}

void Metrics::loginSucceeded(domain::Role role) {
  std::lock_guard lock(mutex_);
  ++logins_ok_[std::string(domain::nameOf(role))];
}

void Metrics::loginFailed() { ++logins_failed_; }

void Metrics::accountLocked() { ++locks_; }

void Metrics::notification(const std::string& channel, const std::string& result) {
  std::lock_guard lock(mutex_);
  ++notifications_[{channel, result}];
}

std::string Metrics::render(std::int64_t locked_accounts) const {
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests;
  std::array<std::uint64_t, kBuckets.size()> bucket_counts{};
  std::uint64_t latency_count = 0;
  double latency_sum = 0;
  for (RequestShard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [key, count] : shard.requests) requests[key] += count;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) bucket_counts[i] += shard.bucket_counts[i];
    latency_count += shard.latency_count;
    latency_sum += shard.latency_sum;
  }
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP kiosk_http_requests_total HTTP requests by method, route and status.\n"
         "# TYPE kiosk_http_requests_total counter\n";
  for (const auto& [key, count] : requests) {
    const auto& [method, route, status] = key;
    out << "kiosk_http_requests_total{method=\"" << escapeLabel(method) << "\",route=\""
        << escapeLabel(route) << "\",status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP kiosk_http_request_duration_seconds Time to answer a request.\n"
         "# TYPE kiosk_http_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    out << "kiosk_http_request_duration_seconds_bucket{le=\"" << number(kBuckets[i]) << "\"} "
        << bucket_counts[i] << "\n";
  }
  out << "kiosk_http_request_duration_seconds_bucket{le=\"+Inf\"} " << latency_count << "\n"
      << "kiosk_http_request_duration_seconds_sum " << number(latency_sum) << "\n"
      << "kiosk_http_request_duration_seconds_count " << latency_count << "\n";
  out << "# HELP kiosk_logins_total Login attempts by result.\n"
         "# TYPE kiosk_logins_total counter\n";
  for (const auto& [role, count] : logins_ok_) {
    out << "kiosk_logins_total{result=\"ok\",role=\"" << role << "\"} " << count << "\n";
  }
  out << "kiosk_logins_total{result=\"failed\",role=\"any\"} " << logins_failed_.load() << "\n";
  out << "# HELP kiosk_account_locks_total Accounts locked after repeated failures.\n"
         "# TYPE kiosk_account_locks_total counter\n"
      << "kiosk_account_locks_total " << locks_.load() << "\n";
  out << "# HELP kiosk_notifications_total Notifications by channel and result (sent, retried, "
         "failed).\n# TYPE kiosk_notifications_total counter\n";
  for (const auto& [key, count] : notifications_) {
    out << "kiosk_notifications_total{channel=\"" << key.first << "\",result=\"" << key.second
        << "\"} " << count << "\n";
  }
  out << "# HELP kiosk_log_events_total Warning and error lines written, by level and event "
         "(audit_anchor_failed, session_sweep_failed, …).\n"
         "# TYPE kiosk_log_events_total counter\n";
  for (const auto& e : log::eventCounts()) {
    out << "kiosk_log_events_total{level=\"" << e.level << "\",event=\"" << escapeLabel(e.event)
        << "\"} " << e.count << "\n";
  }
  if (locked_accounts >= 0) {
    out << "# HELP kiosk_accounts_locked Accounts locked right now.\n"
           "# TYPE kiosk_accounts_locked gauge\n"
        << "kiosk_accounts_locked " << locked_accounts << "\n";
  }
  return out.str();
}

std::string processMetrics() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f{std::istream_iterator<std::string>(fields),
                             std::istream_iterator<std::string>()};
  // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return {};
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double cpu = (std::stod(f[11]) + std::stod(f[12])) / tick;
  double boot = 0;
  {
    std::ifstream proc_stat("/proc/stat");
    std::string key;
    while (proc_stat >> key) {
      if (key == "btime") {
        proc_stat >> boot;
        break;
      }
    }
  }
  const double start = boot + std::stod(f[19]) / tick;
  const double vsize = std::stod(f[20]);
  const double rss = std::stod(f[21]) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::size_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  std::ostringstream out;
  out.precision(15);
  out << "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
         "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "
      << cpu
      << "\n# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
         "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes "
      << rss
      << "\n# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
         "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes "
      << vsize
      << "\n# HELP process_open_fds Number of open file descriptors.\n"
         "# TYPE process_open_fds gauge\nprocess_open_fds "
      << fds
      << "\n# HELP process_max_fds Maximum number of open file descriptors.\n"
         "# TYPE process_max_fds gauge\nprocess_max_fds "
      << limit.rlim_cur
      << "\n# HELP process_start_time_seconds Start time of the process since unix epoch in "
         "seconds.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "
      << start << "\n";
  return out.str();
}

}  // namespace kiosk::http
