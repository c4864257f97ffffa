#include "filetypes/magic_sniffer.h"

#include <fcntl.h>
#include <magic.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>

namespace kiosk::filetypes {
namespace {

// The first 64 KiB tell the type. libmagic's text checks read all they are
// given: ~7 ms for each 1 MiB text, a third of a 5 MiB send's work.
constexpr std::size_t kSniffBytes = 64 * 1024;

struct MagicCloser {
  void operator()(magic_t m) const { magic_close(m); }
};

// The compiled magic database, mapped once for the whole process, read in
// place by the handle (magic_load mapped 8 MiB more for each handle, ~6 MiB
// of it resident).
struct MagicDatabase {
  void* data = nullptr;
  std::size_t size = 0;
};

const MagicDatabase& magicDatabase() {
  static const MagicDatabase db = [] {
    MagicDatabase d;
    // MAGIC, or Debian's "/etc/magic:/usr/share/misc/magic": the first
    // entry with a compiled file (/etc/magic's local text rules are not read).
    const char* path = magic_getpath(nullptr, 0);
    std::string list = path ? path : "";
    int fd = -1;
    for (std::size_t start = 0; fd < 0 && start <= list.size();) {
      std::size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      std::string file = list.substr(start, end - start);
      if (!file.empty() && !file.ends_with(".mgc")) file += ".mgc";
      if (!file.empty()) fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      start = end + 1;
    }
    if (fd < 0) return d;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        d.data = p;
        d.size = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
    return d;
  }();
  return db;
}

// One libmagic handle for the process, used by one thread at a time (a
// handle is not thread-safe). With a handle for each worker thread, as
// before, each held its own parsed copy of the database (~0.7 MB), and they
// compiled the database's regular expressions for a text at the same time
// (3.5 MB a text: two sends of texts in flight made the kiosk's peak
// memory). Judging 64 KiB of text takes about 1.7 ms, a PDF 0.02 ms: the
// wait for the handle is short.
struct SharedCookie {
  std::mutex mutex;
  std::unique_ptr<std::remove_pointer_t<magic_t>, MagicCloser> cookie;
};

SharedCookie& sharedCookie() {
  static SharedCookie shared{.cookie = [] {
    // No decompression, no following: look at the bytes given and nothing else.
    magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS);
    const MagicDatabase& db = magicDatabase();
    void* buffers[] = {db.data};
    std::size_t sizes[] = {db.size};
    const int loaded = !m                   ? -1
                       : db.data != nullptr ? magic_load_buffers(m, buffers, sizes, 1)
                                            : magic_load(m, nullptr);
    if (m && loaded != 0) {
      magic_close(m);
      m = nullptr;
    }
    return std::unique_ptr<std::remove_pointer_t<magic_t>, MagicCloser>(m);
  }()};
  return shared;
}

}  // namespace

std::string MagicSniffer::mimeType(std::string_view data) {
  SharedCookie& shared = sharedCookie();
  std::lock_guard lock(shared.mutex);
  if (!shared.cookie) return "application/octet-stream";
  // The answer is the handle's: copied before the next caller has it.
  const char* type =
      magic_buffer(shared.cookie.get(), data.data(), std::min(data.size(), kSniffBytes));
  return type ? type : "application/octet-stream";
}

std::optional<std::string> MagicSniffer::signedContent(std::string_view data) {
  if (data.empty() || data.size() > 64 * 1024 * 1024) return std::nullopt;
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
  if (!in) return std::nullopt;
  std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)> cms(
      d2i_CMS_bio(in.get(), nullptr), &CMS_ContentInfo_free);
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return std::nullopt;
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (!content || !*content) return std::nullopt;  // detached: nothing inside to judge
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                     static_cast<std::size_t>(ASN1_STRING_length(*content)));
}

}  // namespace kiosk::filetypes
