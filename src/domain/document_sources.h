// DocumentSources: the documents a person brings to the desk, from the
// scanner or a USB stick, under the same limits as any attachment (1 MiB,
// the allowed types), before the screen offers them for a send. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "domain/ports/devices.h"

namespace kiosk::domain {

inline constexpr int kMaxScanPages = 10;

// A file on the stick as the screen lists it.
struct UsbEntry {
  UsbFile file;
  std::string reason;  // why it cannot be attached, as the person reads it ("" when it can)
};

// A document ready for the screen to attach, with the name it goes by.
struct SourcedDocument {
  std::string filename;
  std::string content_type;
  std::string data;
  int pages = 0;  // scans only
};

class DocumentSources {
 public:
  DocumentSources(Scanner& scanner, UsbMedia& usb) : scanner_(scanner), usb_(usb) {}

  // 1 to kMaxScanPages pages (else 422 invalid_pages); see Scanner::scan.
  Result<SourcedDocument> scan(int pages, bool ask_between);
  // The person's answer to "Pagina successiva?": 409 scan_not_waiting when
  // no scan waits for one.
  Status answerScan(bool more);
  ScanProgress scanProgress() { return scanner_.progress(); }
  void cancelScan() { scanner_.cancel(); }

  Result<std::vector<UsbEntry>> usbFiles();
  // One attachable file: its name cleaned as an attachment's.
  Result<SourcedDocument> usbFile(const std::string& name);

 private:
  Scanner& scanner_;
  UsbMedia& usb_;
};

}  // namespace kiosk::domain
