// CupsPrinter: prints through CUPS (libcups) to the queue named in the
// configuration, streaming the PDF to cupsd: no temporary file on the kiosk.
// Thread-safe: libcups keeps one connection to cupsd per thread.
#pragma once

#include <string>

#include "domain/ports/printer.h"

namespace kiosk::devices {

class CupsPrinter final : public domain::Printer {
 public:
  // `max_pages`: CUPS itself prints no page past it (page-ranges), whatever
  // the count found before.
  explicit CupsPrinter(std::string queue, int max_pages = 20)
      : queue_(std::move(queue)), max_pages_(max_pages) {}
  Result<int> printPdf(std::string_view pdf, std::string_view title) override;
  Result<int> pages(std::string_view pdf) override;
  bool jobActive(int job) override;
  domain::DeviceState state() override;

 private:
  Result<int> printOnThisThread(std::string_view pdf, std::string_view title);
  bool jobActiveOnThisThread(int job);
  domain::DeviceState stateOnThisThread();
  std::string queue_;
  int max_pages_;
};

// Used when no queue is configured: never ready, says so.
class NoPrinter final : public domain::Printer {
 public:
  Result<int> printPdf(std::string_view, std::string_view) override;
  Result<int> pages(std::string_view pdf) override;
  bool jobActive(int) override { return false; }
  domain::DeviceState state() override {
    return {domain::DeviceStatus::kNotConfigured, "nessuna coda in [printer] queue"};
  }
};

Error printerUnavailable(const std::string& detail);

}  // namespace kiosk::devices
