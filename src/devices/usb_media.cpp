#include "devices/usb_media.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/own_stack.h"
#include "domain/attachments.h"

namespace kiosk::devices {
namespace {

constexpr int kMaxDepth = 3;
constexpr std::size_t kMaxFiles = 500;
constexpr std::size_t kSniffBytes = 256 * 1024;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Error gone(const std::string& detail) {
  Error e =
      Error::unavailable("usb_unavailable",
                         "La chiavetta USB non è leggibile o è stata rimossa. La reinserisca e "
                         "riprovi.");
  e.detail = detail;
  return e;
}

Error notListed() { return Error::notFound("Documento non trovato sulla chiavetta."); }

// Reads up to `max` bytes; false on a read error (a stick pulled out: EIO).
bool readAll(int fd, std::size_t max, std::string& out) {
  std::string buffer(65536, '\0');
  char* buf = buffer.data();
  while (out.size() < max) {
    const ssize_t n = ::read(fd, buf, std::min(buffer.size(), max - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

void walk(int dirfd,
          const std::string& prefix,
          int depth,
          domain::FileSniffer& sniffer,
          std::vector<domain::UsbFile>& out) {
  DIR* dir = ::fdopendir(::dup(dirfd));
  if (!dir) return;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.empty() || name.front() == '.') continue;  // hidden, "." and ".."
    if (out.size() >= kMaxFiles) break;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISLNK(st.st_mode)) continue;
    if (S_ISDIR(st.st_mode)) {
      if (depth >= kMaxDepth) continue;
      Fd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.fd >= 0) walk(sub.fd, prefix + name + "/", depth + 1, sniffer, out);
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    // O_NONBLOCK: a FIFO swapped in after the check must not hang the worker.
    Fd f(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (f.fd < 0) continue;
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string head;
    if (!readAll(f.fd, kSniffBytes, head)) continue;
    const auto type = domain::allowedType(name, head, sniffer);
    const bool too_large = static_cast<std::size_t>(st.st_size) > domain::kMaxAttachmentBytes;
    std::string refused = st.st_size == 0 ? "empty"
                          : too_large     ? "too_large"
                          : !type         ? "type_not_allowed"
                                          : "";
    out.push_back({prefix + name, static_cast<std::int64_t>(st.st_size), type.value_or(""),
                   too_large, std::move(refused)});
  }
  ::closedir(dir);
}

}  // namespace

std::string FolderUsbMedia::insertion() {
  if (mount_.empty()) return {};
  char real[PATH_MAX];
  if (!::realpath(mount_.c_str(), real)) return {};
  // A mount on that folder: the kernel numbers each mount anew.
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  std::string found;
  while (std::getline(info, line)) {
    // "ID PARENT MAJOR:MINOR ROOT MOUNTPOINT …"; the last mount there wins.
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    if (fields >> id >> parent >> devno >> root >> point && point == real) found = "mount:" + id;
  }
  if (!found.empty()) return found;
  // A plain folder standing for a stick: present only when it holds something.
  struct stat st {};
  if (::stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) return {};
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(real), ::closedir);
  if (!dir) return {};
  bool empty = true;
  while (dirent* e = ::readdir(dir.get())) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  if (empty) return {};
  // Its birth time tells a folder made again from the old one (an inode
  // number is reused at once); the change time where the birth is unknown.
  struct statx sx {};
  std::string born;
  if (::statx(AT_FDCWD, real, 0, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
    born = std::to_string(sx.stx_btime.tv_sec) + "." + std::to_string(sx.stx_btime.tv_nsec);
  } else {
    born = std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
  }
  return "dir:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + born;
}

Result<std::vector<domain::UsbFile>> FolderUsbMedia::list() {
  return runOnOwnStack([&] { return listHere(); });
}

Result<domain::UsbDocument> FolderUsbMedia::read(const std::string& name) {
  return runOnOwnStack([&] { return readHere(name); });
}

Result<std::vector<domain::UsbFile>> FolderUsbMedia::listHere() {
  if (mount_.empty()) return fail(gone("no [usb] mount configured"));
  Fd root(::open(mount_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0) return fail(gone(mount_ + ": " + std::strerror(errno)));
  std::vector<domain::UsbFile> files;
  walk(root.fd, "", 0, sniffer_, files);
  std::sort(files.begin(), files.end(),
            [](const domain::UsbFile& a, const domain::UsbFile& b) { return a.name < b.name; });
  return files;
}

Result<domain::UsbDocument> FolderUsbMedia::readHere(const std::string& name) {
  if (mount_.empty()) return fail(gone("no [usb] mount configured"));
  std::vector<std::string> parts;
  for (std::size_t start = 0; start <= name.size();) {
    auto end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    parts.push_back(name.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() > static_cast<std::size_t>(kMaxDepth) + 1) return fail(notListed());
  for (const auto& p : parts) {
    if (p.empty() || p.front() == '.' || p.find('\0') != std::string::npos)
      return fail(notListed());
  }
  Fd dir(::open(mount_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0) return fail(gone(mount_ + ": " + std::strerror(errno)));
  int current = dir.fd;
  std::vector<std::unique_ptr<Fd>> opened;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    // O_NOFOLLOW on every component: a link anywhere on the path is refused.
    auto next = std::make_unique<Fd>(
        ::openat(current, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next->fd < 0) return fail(notListed());
    current = next->fd;
    opened.push_back(std::move(next));
  }
  // O_NONBLOCK: opening a FIFO ("fifo.pdf") for reading would otherwise wait
  // for a writer forever. It has no effect on the regular files read below.
  Fd f(::openat(current, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (f.fd < 0) return fail(errno == EIO ? gone(std::strerror(errno)) : notListed());
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return fail(notListed());
  if (static_cast<std::size_t>(st.st_size) > domain::kMaxAttachmentBytes) {
    return fail(domain::attachmentTooLarge(parts.back()));
  }
  std::string data;
  if (!readAll(f.fd, domain::kMaxAttachmentBytes + 1, data)) {
    return fail(gone(std::string("read: ") + std::strerror(errno)));
  }
  if (data.size() > domain::kMaxAttachmentBytes)
    return fail(domain::attachmentTooLarge(parts.back()));
  auto type = domain::allowedType(parts.back(), data, sniffer_);
  if (!type) return fail(notListed());
  return domain::UsbDocument{std::move(data), std::move(*type)};
}

domain::DeviceState FolderUsbMedia::state() {
  if (mount_.empty()) {
    return {domain::DeviceStatus::kNotConfigured, "nessun punto di montaggio in [usb] mount"};
  }
  Fd root(::open(mount_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0) {
    return {domain::DeviceStatus::kUnavailable,
            "il punto di montaggio " + mount_ + " non si apre (" + std::strerror(errno) + ")"};
  }
  return {domain::DeviceStatus::kReady, "punto di montaggio " + mount_};
}

}  // namespace kiosk::devices
