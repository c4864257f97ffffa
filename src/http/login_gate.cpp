#include "http/login_gate.h"

namespace kiosk::http {
namespace {
constexpr std::size_t kMaxClients = 4096;  // forget the oldest beyond this
constexpr auto kWindow = std::chrono::seconds(60);
constexpr auto kMaxWait = std::chrono::milliseconds(1500);
}  // namespace

LoginGate::Ticket::~Ticket() {
  if (!gate_) return;
  {
    std::lock_guard lock(gate_->mutex_);
    --gate_->running_;
  }
  gate_->freed_.notify_one();
}

Result<LoginGate::Ticket> LoginGate::admit(const std::string& client, int& retry_after) {
  const auto now = Clock::now();
  std::unique_lock lock(mutex_);
  auto& times = recent_[client];
  while (!times.empty() && now - times.front() >= kWindow) times.pop_front();
  if (static_cast<int>(times.size()) >= per_minute_) {
    retry_after = static_cast<int>(
        std::chrono::ceil<std::chrono::seconds>(times.front() + kWindow - now).count());
    return fail({ErrorCode::kTooMany, "too_many_attempts",
                 "Troppi tentativi di accesso da questa postazione. Riprovi tra " +
                     std::to_string(retry_after) + " secondi."});
  }
  times.push_back(now);
  if (recent_.size() > kMaxClients) {
    for (auto it = recent_.begin(); it != recent_.end();) {
      while (!it->second.empty() && now - it->second.front() >= kWindow) it->second.pop_front();
      it = it->second.empty() ? recent_.erase(it) : std::next(it);
    }
  }
  const Error busy = Error::unavailable(
      "server_busy", "Il servizio è momentaneamente occupato. Riprovi tra qualche secondo.");
  if (running_ >= concurrent_) {
    if (waiting_ >= 2 * concurrent_) return fail(busy);
    ++waiting_;
    const bool got = freed_.wait_for(lock, kMaxWait, [&] { return running_ < concurrent_; });
    --waiting_;
    if (!got) return fail(busy);
  }
  ++running_;
  return Ticket(this);
}

}  // namespace kiosk::http
