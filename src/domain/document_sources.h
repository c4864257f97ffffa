// DocumentSources: the documents a person brings to the desk, from the
// scanner or a USB stick, under the same limits as any attachment (1 MiB,
// the allowed types), before the screen offers them for a send. Thread-safe.
#pragma once

#include <map>
#include <mutex>
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

  // A stick is shown only to the session during which it was put in: one
  // already there at login (left by the person before) answers 409
  // usb_inserted_before_login until it is taken out and put in again.
  void sessionStarted(const std::string& session);
  void sessionEnded(const std::string& session);
  Result<std::vector<UsbEntry>> usbFiles(const std::string& session);
  // One attachable file: its name cleaned as an attachment's.
  Result<SourcedDocument> usbFile(const std::string& session, const std::string& name);

 private:
  Status stickOfThisSession(const std::string& session);

  Scanner& scanner_;
  UsbMedia& usb_;
  std::mutex sticks_mutex_;
  std::map<std::string, std::string> stick_at_login_;  // by session token hash, guarded
};

}  // namespace kiosk::domain
