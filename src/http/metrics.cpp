#include "http/metrics.h"

#include <cstdio>
#include <sstream>

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
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++bucket_counts_[i];
  }
  ++latency_count_;
  latency_sum_ += seconds;
}

void Metrics::loginSucceeded(domain::Role role) {
  std::lock_guard lock(mutex_);
  ++logins_ok_[std::string(domain::roleName(role))];
}

void Metrics::loginFailed() { ++logins_failed_; }

void Metrics::accountLocked() { ++locks_; }

void Metrics::notification(const std::string& channel, const std::string& result) {
  std::lock_guard lock(mutex_);
  ++notifications_[{channel, result}];
}

std::string Metrics::render(std::int64_t locked_accounts) const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP kiosk_http_requests_total HTTP requests by method, route and status.\n"
         "# TYPE kiosk_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out << "kiosk_http_requests_total{method=\"" << escapeLabel(method) << "\",route=\""
        << escapeLabel(route) << "\",status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP kiosk_http_request_duration_seconds Time to answer a request.\n"
         "# TYPE kiosk_http_request_duration_seconds histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    out << "kiosk_http_request_duration_seconds_bucket{le=\"" << number(kBuckets[i]) << "\"} "
        << bucket_counts_[i] << "\n";
  }
  out << "kiosk_http_request_duration_seconds_bucket{le=\"+Inf\"} " << latency_count_ << "\n"
      << "kiosk_http_request_duration_seconds_sum " << number(latency_sum_) << "\n"
      << "kiosk_http_request_duration_seconds_count " << latency_count_ << "\n";
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
  if (locked_accounts >= 0) {
    out << "# HELP kiosk_accounts_locked Accounts locked right now.\n"
           "# TYPE kiosk_accounts_locked gauge\n"
        << "kiosk_accounts_locked " << locked_accounts << "\n";
  }
  return out.str();
}

}  // namespace kiosk::http
