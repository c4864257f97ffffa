// UsbMedia over the folder where the kiosk mounts sticks (read-only,
// nosuid, nodev, noexec: see firmware-config/). Lists and reads allowed files
// only, judged by content; skips hidden entries; never follows a symbolic
// link (every path component is opened with O_NOFOLLOW relative to the
// mount); descends at most three folders; never writes. Thread-safe.
#pragma once

#include <string>

#include "domain/ports/devices.h"
#include "domain/ports/file_sniffer.h"

namespace kiosk::devices {

class FolderUsbMedia final : public domain::UsbMedia {
 public:
  FolderUsbMedia(std::string mount, domain::FileSniffer& sniffer)
      : mount_(std::move(mount)), sniffer_(sniffer) {}
  Result<std::vector<domain::UsbFile>> list() override;
  Result<domain::UsbDocument> read(const std::string& name) override;
  domain::DeviceState state() override;
  // A mounted stick: its mount's id in /proc/self/mountinfo (new at each
  // mount). A plain folder standing for one (tests, the demo): its device
  // and inode. "" when nothing is there.
  std::string insertion() override;

 private:
  Result<std::vector<domain::UsbFile>> listHere();
  Result<domain::UsbDocument> readHere(const std::string& name);
  std::string mount_;
  domain::FileSniffer& sniffer_;
};

}  // namespace kiosk::devices
