// CupsPrinter: prints through CUPS (libcups) to the queue named in the
// configuration, streaming the PDF to cupsd: no temporary file on the kiosk.
// Thread-safe: libcups keeps one connection to cupsd per thread.
#pragma once

#include <string>

#include "domain/ports/printer.h"

namespace kiosk::devices {

class CupsPrinter final : public domain::Printer {
 public:
  explicit CupsPrinter(std::string queue) : queue_(std::move(queue)) {}
  Result<int> printPdf(std::string_view pdf, std::string_view title) override;
  domain::DeviceState state() override;

 private:
  Result<int> printOnThisThread(std::string_view pdf, std::string_view title);
  domain::DeviceState stateOnThisThread();
  std::string queue_;
};

// Used when no queue is configured: never ready, says so.
class NoPrinter final : public domain::Printer {
 public:
  Result<int> printPdf(std::string_view, std::string_view) override;
  domain::DeviceState state() override {
    return {domain::DeviceStatus::kNotConfigured, "no [printer] queue"};
  }
};

Error printerUnavailable(const std::string& detail);

}  // namespace kiosk::devices
