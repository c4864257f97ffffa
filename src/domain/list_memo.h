// ListMemo: professionals' own list pages and threads as last answered
// (rendered for the screen), each with the list version it was read at
// (CommPage::list_version). A page asked again is answered from here after
// one indexed read finds the version unchanged; any change to the
// professional's threads, from any desk or process, moves the version on in
// the changing transaction. Where that read is a round trip to a server
// (Store::listNewsDelay), a page checked less than that long ago is answered
// without it, and one request checks it when the delay is over while the
// others have it as last checked. This kiosk's own changes drop the
// professional's pages at once (forget), and a page read before such a
// change is not kept after it. Bounded; forget() also drops a professional's
// pages when their session ends, so nothing of theirs stays in memory.
// CommunicationService keeps the staff's queue pages in a ListMemo of their
// own, against the queue version. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kiosk::domain {

class ListMemo {
 public:
  using Answer = std::shared_ptr<const std::string>;
  using Clock = std::chrono::steady_clock;

  // Taken before a page is read; keep() refuses the page if a forget() came
  // in between (the page may be older than that change).
  std::uint64_t token() const;
  // The answer kept for this professional and query if it was read or
  // checked within `max_age`; null otherwise. Past `max_age`, one caller gets
  // null and checks the version (confirm); the others meanwhile get the
  // answer as last checked, unless that check has taken longer than
  // `max_age` (lost: the next caller checks). So a page is checked once a
  // delay, not by every request that comes at its end.
  Answer fresh(std::int64_t professional_id,
               const std::string& query,
               std::chrono::milliseconds max_age);
  // Whether anything is kept for this professional and query (at any version).
  bool has(std::int64_t professional_id, const std::string& query) const;
  // The answer kept, if it was read at `version` (now checked again).
  Answer confirm(std::int64_t professional_id, const std::string& query, std::int64_t version);
  void keep(std::int64_t professional_id,
            const std::string& query,
            std::int64_t version,
            Answer answer,
            std::uint64_t token);
  void forget(std::int64_t professional_id);
  std::size_t size() const;

  static constexpr std::size_t kMaxPages = 512;

 private:
  struct Page {
    std::int64_t version = 0;
    Answer answer;
    Clock::time_point checked;
    Clock::time_point checking;  // a check under way since then (none: the epoch)
  };
  static std::string key(std::int64_t professional_id, const std::string& query);
  // A plain mutex, held for a lookup: glibc's reader-writer lock prefers
  // readers, so pages served from memory without a pause could keep a writer
  // (fresh's checker, confirm, keep) waiting.
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Page> pages_;  // by key(); guarded by mutex_
  std::uint64_t forgets_ = 0;                    // guarded by mutex_
};

}  // namespace kiosk::domain
