#include "devices/pdf_pages.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "devices/cups_printer.h"

namespace kiosk::devices {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Error unreadable(std::string detail) {
  Error e = Error::invalid("not_printable",
                           "Questo documento non si può stampare al chiosco: non se ne riescono a "
                           "leggere le pagine.");
  e.detail = std::move(detail);
  return e;
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

Result<int> countPdfPages(std::string_view pdf,
                          std::chrono::milliseconds bound,
                          const std::string& tool) {
  Fd input{::memfd_create("kiosk-pdf", MFD_CLOEXEC)};
  if (input.fd < 0) return fail(printerUnavailable(std::string("memfd: ") + std::strerror(errno)));
  if (!writeAll(input.fd, pdf) || ::lseek(input.fd, 0, SEEK_SET) != 0) {
    return fail(printerUnavailable(std::string("memfd write: ") + std::strerror(errno)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return fail(printerUnavailable(std::string("pipe: ") + std::strerror(errno)));
  }
  Fd out{pipe_fds[0]};
  Fd out_child{pipe_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_child.fd, 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string arg0 = tool;
  std::string arg1 = "fd://0";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  char env0[] = "LC_ALL=C";
  char* envp[] = {env0, nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, tool.c_str(), &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return fail(printerUnavailable(tool + ": " + std::strerror(spawned)));
  ::close(out_child.fd);
  out_child.fd = -1;

  std::string text;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out.fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(out.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (text.size() < 65536) text.append(buf, static_cast<std::size_t>(n));
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return fail(unreadable("pdfinfo took longer than the bound"));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(unreadable("pdfinfo refused the file"));
  }
  const auto at = text.find("\nPages:");
  const auto line =
      at == std::string::npos ? (text.starts_with("Pages:") ? 0 : std::string::npos) : at + 1;
  if (line == std::string::npos) return fail(unreadable("pdfinfo gave no page count"));
  const char* digits = text.c_str() + line + 6;
  while (*digits == ' ') ++digits;
  char* end = nullptr;
  const long pages = std::strtol(digits, &end, 10);
  if (end == digits || pages < 0 || pages > 1000000) {
    return fail(unreadable("pdfinfo gave no page count"));
  }
  return static_cast<int>(pages);
}

}  // namespace kiosk::devices
