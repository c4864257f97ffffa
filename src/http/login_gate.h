// LoginGate: what a login costs the kiosk, bounded. Each login runs argon2id
// (64 MiB, ~0.1 s): at most `concurrent` run at once (a few more may wait a
// moment, the rest are told the kiosk is busy), and one client (the address
// the TLS proxy names, or the socket's peer) may try at most
// `attempts_per_minute` times in any 60 s. The account lockout is separate:
// this guards the box, the lockout guards the account.
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "core/error.h"

namespace kiosk::http {

class LoginGate {
 public:
  LoginGate(int attempts_per_minute, int concurrent)
      : per_minute_(attempts_per_minute), concurrent_(concurrent) {}

  // Holds one of the concurrent slots until destroyed.
  class Ticket {
   public:
    explicit Ticket(LoginGate* gate) : gate_(gate) {}
    Ticket(Ticket&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    LoginGate* gate_;
  };

  // A ticket, or 429 too_many_attempts (with the seconds to wait in
  // `retry_after`) or 503 server_busy.
  Result<Ticket> admit(const std::string& client, int& retry_after);

 private:
  using Clock = std::chrono::steady_clock;
  int per_minute_;
  int concurrent_;
  std::mutex mutex_;
  std::condition_variable freed_;
  int running_ = 0;                                              // guarded by mutex_
  int waiting_ = 0;                                              // guarded by mutex_
  std::map<std::string, std::deque<Clock::time_point>> recent_;  // guarded by mutex_
};

}  // namespace kiosk::http
