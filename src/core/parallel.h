// parallelFor: runs a few independent pieces of work on the calling thread and
// on the process's helper threads (one fewer than the cores), and returns when
// all are done. Used where one request holds several equal pieces of CPU work
// (the five attachments of a send: type check and SHA-256 of each).
#pragma once

#include <cstddef>
#include <functional>

namespace kiosk {

// Calls work(0) … work(count - 1), each once, in any order and on any of the
// threads; the caller takes its share, so it never waits for an idle pool to
// start. An exception thrown by a piece is rethrown here after all ended.
// `work` must be safe to call from several threads at once.
void parallelFor(std::size_t count, const std::function<void(std::size_t)>& work);

}  // namespace kiosk
