// runOnOwnStack: runs `work` on a thread of its own with the system's default
// stack, and waits for it. CivetWeb's worker threads have small stacks, and
// some libraries (libcups, SANE backends, libmagic on deep folders) keep large
// buffers on the stack.
#pragma once

#include <exception>
#include <optional>
#include <thread>
#include <utility>

namespace kiosk {

// An exception thrown by `work` is carried back and rethrown here, on the
// caller's thread (where the HTTP layer turns it into a 500), instead of
// ending the process from the helper thread.
template <typename F>
auto runOnOwnStack(F work) -> decltype(work()) {
  std::optional<decltype(work())> result;
  std::exception_ptr thrown;
  std::thread([&] {
    try {
      result.emplace(work());
    } catch (...) {
      thrown = std::current_exception();
    }
  }).join();
  if (thrown) std::rethrow_exception(thrown);
  return std::move(*result);
}

}  // namespace kiosk
