// ChildProcess: a program run with its standard input and output as pipes
// to this process, read with a deadline, and killed when it no longer
// answers or is no longer wanted. The scanner runs SANE in one
// (sane_scanner.cpp): a backend stuck in its own locks is killed with its
// process instead of freezing the kiosk. One owner at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace kiosk::devices {

// All `n` bytes to `fd`, through short writes and EINTR; false when the
// other end has gone (or any other write error).
bool writeAll(int fd, const char* p, std::size_t n);

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;
  // Why a read came back without what it asked for.
  enum class Stop { kNone, kDeadline, kCancelled, kEnded };

  // Starts argv[0] (a path) with argv and this process's environment.
  static Result<ChildProcess> start(const std::vector<std::string>& argv);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the child if it still runs, and reaps it.
  ~ChildProcess();

  // One line from the child's output, without its '\n'. `cancelled` is
  // asked about ten times a second while nothing comes.
  Stop readLine(std::string& line,
                Clock::time_point deadline,
                const std::function<bool()>& cancelled);
  // Exactly `n` bytes, appended to `out`.
  Stop readBytes(std::string& out,
                 std::size_t n,
                 Clock::time_point deadline,
                 const std::function<bool()>& cancelled);
  // A line to the child's input; false when the child has gone.
  bool writeLine(const std::string& line);
  // Closes the child's input and gives it `grace` to end by itself; then
  // it is killed. True when it ended by itself.
  bool finish(std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, int to, int from) : pid_(pid), to_(to), from_(from) {}
  Stop fill(Clock::time_point deadline, const std::function<bool()>& cancelled);
  void reap(bool kill_first);
  pid_t pid_ = -1;
  int to_ = -1;    // the child's standard input
  int from_ = -1;  // the child's standard output
  std::string buffered_;
};

}  // namespace kiosk::devices
