// Scanner and UsbMedia: the kiosk's document sources. Real ones are SANE and
// a read-only mount folder (src/devices). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "domain/ports/printer.h"

namespace kiosk::domain {

struct ScannedDocument {
  std::string data;          // ≤ 1 MiB
  std::string content_type;  // image/jpeg (one page) or application/pdf (several)
  std::string filename;      // "scansione.jpg" / "scansione.pdf"
  int pages = 0;
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  // One scan at a time: 409 scanner_busy; 409 scan_cancelled; 504-like
  // kUnavailable scan_timeout; 422 scan_too_large when no quality fits 1 MiB.
  virtual Result<ScannedDocument> scan(int pages) = 0;
  // Stops the scan in progress (if any).
  virtual void cancel() = 0;
  virtual DeviceState state() = 0;
};

struct UsbFile {
  std::string name;  // relative to the mount, "/"-separated
  std::int64_t size = 0;
  std::string content_type;
  bool too_large = false;  // over the 1 MiB attachment limit
};

// A file read from the stick, with the type judged from its content.
struct UsbDocument {
  std::string data;
  std::string content_type;
};

class UsbMedia {
 public:
  virtual ~UsbMedia() = default;
  // The allowed files (by content), hidden ones skipped, symbolic links never followed.
  virtual Result<std::vector<UsbFile>> list() = 0;
  // One listed file's bytes; 404 for anything not listed, 413-like
  // attachment_too_large over 1 MiB, 503 usb_unavailable when the stick went away.
  virtual Result<UsbDocument> read(const std::string& name) = 0;
  virtual DeviceState state() = 0;
};

}  // namespace kiosk::domain
