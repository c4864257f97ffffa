#include "domain/list_memo.h"

#include <mutex>

namespace kiosk::domain {

std::string ListMemo::key(std::int64_t professional_id, const std::string& query) {
  return std::to_string(professional_id) + '\x1f' + query;
}

std::uint64_t ListMemo::token() const {
  std::lock_guard lock(mutex_);
  return forgets_;
}

ListMemo::Answer ListMemo::fresh(std::int64_t professional_id,
                                 const std::string& query,
                                 std::chrono::milliseconds max_age) {
  if (max_age <= std::chrono::milliseconds::zero()) return nullptr;
  const std::string k = key(professional_id, query);
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  auto it = pages_.find(k);
  if (it == pages_.end()) return nullptr;
  Page& page = it->second;
  if (now - page.checked <= max_age) return page.answer;
  if (page.checking != Clock::time_point{} && now - page.checking <= max_age) return page.answer;
  page.checking = now;  // this caller checks
  return nullptr;
}

bool ListMemo::has(std::int64_t professional_id, const std::string& query) const {
  const std::string k = key(professional_id, query);
  std::lock_guard lock(mutex_);
  return pages_.contains(k);
}

ListMemo::Answer ListMemo::confirm(std::int64_t professional_id,
                                   const std::string& query,
                                   std::int64_t version) {
  const std::string k = key(professional_id, query);
  std::lock_guard lock(mutex_);
  auto it = pages_.find(k);
  if (it == pages_.end()) return nullptr;
  it->second.checking = {};
  if (it->second.version != version) return nullptr;
  it->second.checked = Clock::now();
  return it->second.answer;
}

void ListMemo::keep(std::int64_t professional_id,
                    const std::string& query,
                    std::int64_t version,
                    Answer answer,
                    std::uint64_t token) {
  std::string k = key(professional_id, query);
  std::lock_guard lock(mutex_);
  if (token != forgets_) return;
  // Whole, not one by one: a kiosk serves one professional at a time, so the
  // bound is only met by many desks' professionals on a shared database.
  if (pages_.size() >= kMaxPages && !pages_.contains(k)) pages_.clear();
  pages_[std::move(k)] = {version, std::move(answer), Clock::now()};
}

void ListMemo::forget(std::int64_t professional_id) {
  const std::string prefix = std::to_string(professional_id) + '\x1f';
  std::lock_guard lock(mutex_);
  ++forgets_;
  std::erase_if(pages_, [&](const auto& e) { return e.first.starts_with(prefix); });
}

std::size_t ListMemo::size() const {
  std::lock_guard lock(mutex_);
  return pages_.size();
}

}  // namespace kiosk::domain
