// ConnectionPool: the connections of one store, shared by both engines. At
// most `size` are open; a caller waits at most `wait_ms` for one (then 503
// database_busy), and a connection the caller will not keep (broken, say)
// is closed on release so that a new one is opened next time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"

namespace kiosk::storage {

// The database is momentarily taken (lock or pool): 503, try again soon.
inline Error databaseBusy(std::string detail) {
  Error e = Error::unavailable("database_busy",
                               "Il sistema è momentaneamente occupato. Riprovi tra poco.");
  e.detail = std::move(detail);
  return e;
}

template <typename Conn>
class ConnectionPool {
 public:
  ConnectionPool(int size, int wait_ms) : size_(size), wait_ms_(wait_ms) {}

  // An idle connection, or a new one from `open` (a callable answering
  // Result<std::unique_ptr<Conn>>) while fewer than `size` are open.
  template <typename Open>
  Result<std::unique_ptr<Conn>> acquire(Open open) {
    {
      std::unique_lock lock(mutex_);
      if (!available_.wait_for(lock, std::chrono::milliseconds(wait_ms_),
                               [&] { return !idle_.empty() || open_ < size_; })) {
        return fail(databaseBusy("no database connection free within the wait"));
      }
      if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      ++open_;
    }
    Result<std::unique_ptr<Conn>> conn = open();
    if (!conn) drop();
    return conn;
  }

  // Back to the idle ones, or closed when `keep` is false.
  void release(std::unique_ptr<Conn> conn, bool keep = true) {
    if (!keep) {
      conn.reset();
      drop();
      return;
    }
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
    available_.notify_one();
  }

 private:
  void drop() {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
  }

  const int size_;
  const int wait_ms_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;
};

}  // namespace kiosk::storage
