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

// Where a page-by-page scan stands (a flatbed takes one sheet at a time).
struct ScanProgress {
  bool scanning = false;  // a scan is in progress
  int pages = 0;          // pages scanned so far
  bool waiting = false;   // waiting for "next page" or "finish" from the person
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  // One scan at a time: 409 scanner_busy; 409 scan_cancelled; 504-like
  // kUnavailable scan_timeout; 422 scan_too_large when no quality fits 1 MiB.
  // With `ask_between`, after each page but the last the scan waits for
  // next() (scan one more) or finish() (stop with the pages so far); a
  // person who answers nothing within a few minutes gets the pages so far.
  virtual Result<ScannedDocument> scan(int pages, bool ask_between = false) = 0;
  virtual void next() = 0;
  virtual void finish() = 0;
  virtual ScanProgress progress() = 0;
  // Stops the scan in progress (if any).
  virtual void cancel() = 0;
  virtual DeviceState state() = 0;
};

struct UsbFile {
  std::string name;  // relative to the mount, "/"-separated
  std::int64_t size = 0;
  std::string content_type;
  bool too_large = false;  // over the 1 MiB attachment limit
  // Why it cannot be attached ("" when it can): "type_not_allowed",
  // "empty" or "too_large". Refused files are listed so that the person
  // sees why their file is not offered, never read.
  std::string refused;
};

// A file read from the stick, with the type judged from its content.
struct UsbDocument {
  std::string data;
  std::string content_type;
};

class UsbMedia {
 public:
  virtual ~UsbMedia() = default;
  // The regular files, allowed ones and refused ones with the reason; hidden
  // ones skipped, symbolic links never followed.
  virtual Result<std::vector<UsbFile>> list() = 0;
  // One attachable file's bytes; 404 for anything else (refused ones too), 413-like
  // attachment_too_large over 1 MiB, 503 usb_unavailable when the stick went away.
  virtual Result<UsbDocument> read(const std::string& name) = 0;
  virtual DeviceState state() = 0;
  // What tells one insertion of a stick from the next ("" when no stick is
  // there, or when the media cannot tell): a stick left in the kiosk keeps
  // its value, a stick taken out and put in again gets a new one.
  virtual std::string insertion() { return {}; }
};

}  // namespace kiosk::domain
