// ListMemo: professionals' own list pages as last answered (rendered for the
// screen), each with the list version it was read at (CommPage::list_version).
// A page asked again is answered from here after one indexed read finds the
// version unchanged; any change to the professional's threads, from any desk
// or process, moves the version on in the changing transaction. Bounded;
// forget() drops a professional's pages when their session ends, so nothing
// of theirs stays in memory. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace kiosk::domain {

class ListMemo {
 public:
  using Answer = std::shared_ptr<const std::string>;

  // The answer kept for this professional and query, if it was read at `version`.
  Answer find(std::int64_t professional_id, const std::string& query, std::int64_t version) const;
  // Whether anything is kept for this professional and query (at any version).
  bool has(std::int64_t professional_id, const std::string& query) const;
  void keep(std::int64_t professional_id,
            const std::string& query,
            std::int64_t version,
            Answer answer);
  void forget(std::int64_t professional_id);
  std::size_t size() const;

  static constexpr std::size_t kMaxPages = 512;

 private:
  struct Page {
    std::int64_t version = 0;
    Answer answer;
  };
  static std::string key(std::int64_t professional_id, const std::string& query);
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Page> pages_;  // by key(); guarded by mutex_
};

}  // namespace kiosk::domain
