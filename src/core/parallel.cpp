#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace kiosk {
namespace {

// One call's pieces: whoever is free takes the next index.
struct Batch {
  const std::function<void(std::size_t)>* work = nullptr;
  std::size_t count = 0;
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::size_t done = 0;  // under mutex
  std::exception_ptr thrown;

  // Runs pieces until none is left to start.
  void drain() {
    while (true) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      std::exception_ptr caught;
      try {
        (*work)(i);
      } catch (...) {
        caught = std::current_exception();
      }
      std::lock_guard lock(mutex);
      if (caught && !thrown) thrown = caught;
      if (++done == count) finished.notify_all();
    }
  }
};

// Helper threads, started at the first call and kept for the process's life
// (never destroyed: they may still be parked on the queue at exit).
class Helpers {
 public:
  Helpers() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < cores; ++i) std::thread([this] { loop(); }).detach();
    count_ = cores - 1;
  }

  unsigned count() const { return count_; }

  void offer(const std::shared_ptr<Batch>& batch, unsigned helpers) {
    {
      std::lock_guard lock(mutex_);
      for (unsigned i = 0; i < helpers; ++i) queue_.push_back(batch);
    }
    if (helpers == 1) {
      wake_.notify_one();
    } else {
      wake_.notify_all();
    }
  }

 private:
  void loop() {
    while (true) {
      std::shared_ptr<Batch> batch;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return !queue_.empty(); });
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      batch->drain();
    }
  }

  unsigned count_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Batch>> queue_;
};

Helpers& helpers() {
  static Helpers* h = new Helpers();  // never destroyed, see above
  return *h;
}

}  // namespace

void parallelFor(std::size_t count, const std::function<void(std::size_t)>& work) {
  if (count == 0) return;
  if (count == 1) {
    work(0);
    return;
  }
  auto batch = std::make_shared<Batch>();
  batch->work = &work;
  batch->count = count;
  Helpers& h = helpers();
  const auto wanted = static_cast<unsigned>(std::min<std::size_t>(h.count(), count - 1));
  if (wanted > 0) h.offer(batch, wanted);
  batch->drain();
  std::unique_lock lock(batch->mutex);
  batch->finished.wait(lock, [&] { return batch->done == batch->count; });
  if (batch->thrown) std::rethrow_exception(batch->thrown);
}

}  // namespace kiosk
