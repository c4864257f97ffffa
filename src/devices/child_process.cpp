#include "devices/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace kiosk::devices {

bool writeAll(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

Result<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv) {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    for (int fd : {in[0], in[1], out[0], out[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return fail(Error::internal("pipe: " + why));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  // Nothing else of this process's (sockets, the database) reaches the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return fail(Error::internal("cannot start " + argv[0] + ": " + std::strerror(rc)));
  }
  return ChildProcess(pid, in[1], out[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      to_(std::exchange(other.to_, -1)),
      from_(std::exchange(other.from_, -1)),
      buffered_(std::move(other.buffered_)) {}

ChildProcess::~ChildProcess() { reap(true); }

void ChildProcess::reap(bool kill_first) {
  if (to_ >= 0) ::close(std::exchange(to_, -1));
  if (from_ >= 0) ::close(std::exchange(from_, -1));
  if (pid_ <= 0) return;
  if (kill_first) ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

bool ChildProcess::finish(std::chrono::milliseconds grace) {
  if (to_ >= 0) ::close(std::exchange(to_, -1));
  const auto until = Clock::now() + grace;
  while (pid_ > 0 && Clock::now() < until) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool ended = pid_ <= 0;
  reap(true);
  return ended;
}

ChildProcess::Stop ChildProcess::fill(Clock::time_point deadline,
                                      const std::function<bool()>& cancelled) {
  while (true) {
    if (cancelled && cancelled()) return Stop::kCancelled;
    const auto now = Clock::now();
    if (now >= deadline) return Stop::kDeadline;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd p{from_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count() + 1, 100)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[1 << 16];
    const ssize_t n = ::read(from_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Stop::kEnded;
    buffered_.append(buf, static_cast<std::size_t>(n));
    return Stop::kNone;
  }
}

ChildProcess::Stop ChildProcess::readLine(std::string& line,
                                          Clock::time_point deadline,
                                          const std::function<bool()>& cancelled) {
  while (true) {
    if (const auto end = buffered_.find('\n'); end != std::string::npos) {
      line.assign(buffered_, 0, end);
      buffered_.erase(0, end + 1);
      return Stop::kNone;
    }
    if (const Stop s = fill(deadline, cancelled); s != Stop::kNone) return s;
  }
}

ChildProcess::Stop ChildProcess::readBytes(std::string& out,
                                           std::size_t n,
                                           Clock::time_point deadline,
                                           const std::function<bool()>& cancelled) {
  out.reserve(out.size() + n);
  while (true) {
    const std::size_t take = std::min(n, buffered_.size());
    out.append(buffered_, 0, take);
    buffered_.erase(0, take);
    n -= take;
    if (n == 0) return Stop::kNone;
    if (const Stop s = fill(deadline, cancelled); s != Stop::kNone) return s;
  }
}

bool ChildProcess::writeLine(const std::string& line) {
  if (to_ < 0) return false;
  // A child that has gone must not end this process with SIGPIPE: the
  // signal is held for this thread while writing, and dropped if raised.
  sigset_t pipe_only, before;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
  const std::string text = line + "\n";
  const bool ok = writeAll(to_, text.data(), text.size());
  if (!ok) {
    const timespec none{0, 0};
    sigtimedwait(&pipe_only, nullptr, &none);
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  return ok;
}

}  // namespace kiosk::devices
