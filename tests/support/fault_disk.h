// A disk that can fill up, for the tests of a full disk and of the reserve,
// without root (no tmpfs to mount): as SQLite tests itself, a VFS over the
// real one that fails writes with SQLITE_FULL (what ENOSPC becomes inside
// SQLite) while the disk is full, and a Store wrapper that reports the free
// bytes the test sets. The kiosk's own code runs unchanged on real files.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "domain/ports/store.h"

namespace kiosk::test {

class FaultDisk {
 public:
  // Becomes SQLite's default VFS for this process until destroyed: make it
  // before the store and destroy it after (every connection closed).
  FaultDisk();
  ~FaultDisk();
  FaultDisk(const FaultDisk&) = delete;
  FaultDisk& operator=(const FaultDisk&) = delete;

  // Full: every write to a database, WAL or journal file fails with SQLITE_FULL.
  void setFull(bool full) { full_ = full; }
  bool full() const { return full_; }
  // What the store says is free where the database lives (nullopt: the truth).
  void setFreeBytes(std::optional<std::uint64_t> bytes) { free_ = bytes.value_or(kTruth); }
  std::optional<std::uint64_t> freeBytes() const {
    const std::uint64_t free = free_;
    if (free == kTruth) return std::nullopt;
    return free;
  }
  // Writes refused so far (a test can check the disk was really hit).
  std::uint64_t refused() const { return refused_; }

  // `store` reporting this disk's free bytes; everything else is its own.
  std::unique_ptr<domain::Store> wrap(std::unique_ptr<domain::Store> store);

 private:
  friend struct FaultFile;
  std::atomic<bool> full_ = false;
  std::atomic<std::uint64_t> refused_ = 0;
  static constexpr std::uint64_t kTruth = UINT64_MAX;  // free_: none set
  std::atomic<std::uint64_t> free_ = kTruth;
  sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
};

}  // namespace kiosk::test
