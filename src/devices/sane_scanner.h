// SaneScanner: scans through libsane (device, mode, resolution and source
// from the configuration) into one attachment of at most 1 MiB: one page as
// JPEG, several as one PDF of JPEG images. Quality, then resolution, step
// down until it fits. One scan at a time; a timeout; cancel from another
// request. A scan's SANE calls run in a helper process of its own, killed
// when it no longer answers; the device check runs on a thread of its own
// (CivetWeb's stacks are small). Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "devices/device_settings.h"
#include "domain/ports/devices.h"

namespace kiosk::devices {

class SaneScanner final : public domain::Scanner {
 public:
  explicit SaneScanner(ScannerSettings s) : s_(std::move(s)) {}
  Result<domain::ScannedDocument> scan(int pages, bool ask_between = false) override;
  void next() override;
  void finish() override;
  domain::ScanProgress progress() override;
  void cancel() override;
  domain::DeviceState state() override;

 private:
  enum class Answer { kNone, kNext, kFinish };
  Result<domain::ScannedDocument> scanHere(int pages, bool ask_between);
  // Between pages: true to scan the next one, false to finish.
  Result<bool> askNext();
  ScannerSettings s_;
  std::mutex busy_;
  std::atomic<bool> cancel_{false};
  std::mutex m_;  // guards the fields below
  std::condition_variable answered_;
  domain::ScanProgress progress_;
  Answer answer_ = Answer::kNone;
};

// The scan's helper process: this program started again with this flag as
// its first argument is the scan's helper (sane_scanner.cpp tells why and how).
// Every main of a program that scans (the kiosk's, the tests') calls
// runScanHelperIfAsked first: with the flag it never returns.
inline constexpr const char* kScanHelperFlag = "--kiosk-scan-helper";
void runScanHelperIfAsked(int argc, char** argv);

// A raw page: 8-bit gray (1 channel) or RGB (3 channels).
struct RawPage {
  int width = 0, height = 0, channels = 3, dpi = 150;
  std::string pixels;
};

// JPEG bytes of a page at `quality`, scaled by `scale` (≤ 1).
std::string encodeJpeg(const RawPage& page, int quality, double scale);

// The smallest-effort encoding that fits `limit`: JPEG for one page, PDF for
// several; nullopt when nothing fits.
std::optional<domain::ScannedDocument> fitDocument(const std::vector<RawPage>& pages,
                                                   std::size_t limit);

}  // namespace kiosk::devices
