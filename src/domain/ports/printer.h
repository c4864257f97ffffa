// Printer: the kiosk's receipt printer: CUPS (src/devices/cups_printer.h),
// NoPrinter where none is configured, FakePrinter in tests/support/fakes.h.
// Implementations must be safe to call from several threads.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "domain/model.h"

namespace kiosk::domain {

// The state of a device as /api/devices and selftest report it.
enum class DeviceStatus { kReady, kUnavailable, kNotConfigured };
template <>
struct EnumNames<DeviceStatus> {
  static constexpr std::array<std::string_view, 3> values{"ready", "unavailable", "not_configured"};
};

struct DeviceState {
  DeviceStatus status = DeviceStatus::kNotConfigured;
  std::string detail;  // for technicians: queue name, CUPS state, reason
  bool ready() const { return status == DeviceStatus::kReady; }
};

class Printer {
 public:
  virtual ~Printer() = default;
  // Queues a PDF; the job title carries no personal data. Returns the job id;
  // kUnavailable (printer_unavailable) when the printer or CUPS does not answer.
  virtual Result<int> printPdf(std::string_view pdf, std::string_view title) = 0;
  // The pages a PDF would print, read by a PDF parser, not taken from what the
  // file claims; 422 not_printable when it cannot be read.
  virtual Result<int> pages(std::string_view pdf) = 0;
  // Whether a job this printer took is still waiting or printing.
  virtual bool jobActive(int job) = 0;
  virtual DeviceState state() = 0;
};

}  // namespace kiosk::domain
