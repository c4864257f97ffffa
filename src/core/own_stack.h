// runOnOwnStack: runs `work` on a thread of its own with the system's default
// stack, and waits for it. CivetWeb's worker threads have small stacks, and
// some libraries (libcups, SANE backends, libmagic on deep folders) keep large
// buffers on the stack.
#pragma once

#include <optional>
#include <thread>
#include <utility>

namespace kiosk {

template <typename F>
auto runOnOwnStack(F work) -> decltype(work()) {
  std::optional<decltype(work())> result;
  std::thread([&] { result.emplace(work()); }).join();
  return std::move(*result);
}

}  // namespace kiosk
