#include "devices/cups_printer.h"

#include <cups/cups.h>

#include <memory>
#include <optional>
#include <thread>

#include "core/own_stack.h"
#include "devices/pdf_pages.h"

namespace kiosk::devices {
namespace {

struct DestDeleter {
  void operator()(cups_dest_t* d) const { cupsFreeDests(1, d); }
};
struct InfoDeleter {
  void operator()(cups_dinfo_t* i) const { cupsFreeDestInfo(i); }
};

}  // namespace

Error printerUnavailable(const std::string& detail) {
  Error e = Error::unavailable("printer_unavailable",
                               "La stampante non è disponibile. Si rivolga allo sportello per la "
                               "stampa della ricevuta.");
  e.detail = detail;
  return e;
}

Result<int> NoPrinter::printPdf(std::string_view, std::string_view) {
  return fail(printerUnavailable("no printer queue configured"));
}

Result<int> NoPrinter::pages(std::string_view) {
  return fail(printerUnavailable("no printer queue configured"));
}

Result<int> CupsPrinter::pages(std::string_view pdf) { return countPdfPages(pdf); }

bool CupsPrinter::jobActive(int job) {
  return runOnOwnStack([&] { return jobActiveOnThisThread(job); });
}

bool CupsPrinter::jobActiveOnThisThread(int job) {
  cups_job_t* jobs = nullptr;
  const int n = cupsGetJobs2(CUPS_HTTP_DEFAULT, &jobs, queue_.c_str(), 0, CUPS_WHICHJOBS_ACTIVE);
  bool active = false;
  for (int i = 0; i < n; ++i) active = active || jobs[i].id == job;
  cupsFreeJobs(n, jobs);
  return active;
}

// libcups keeps 32 KiB buffers on the stack (cupsCopyDestInfo overflows
// CivetWeb's small worker stacks): CUPS calls get a thread of their own.
Result<int> CupsPrinter::printPdf(std::string_view pdf, std::string_view title) {
  return runOnOwnStack([&] { return printOnThisThread(pdf, title); });
}

domain::DeviceState CupsPrinter::state() {
  return runOnOwnStack([&] { return stateOnThisThread(); });
}

Result<int> CupsPrinter::printOnThisThread(std::string_view pdf, std::string_view title) {
  // CUPS_HTTP_DEFAULT: libcups keeps one connection per thread.
  http_t* const http = CUPS_HTTP_DEFAULT;
  std::unique_ptr<cups_dest_t, DestDeleter> dest(cupsGetNamedDest(http, queue_.c_str(), nullptr));
  if (!dest) return fail(printerUnavailable("no CUPS queue " + queue_));
  std::unique_ptr<cups_dinfo_t, InfoDeleter> info(cupsCopyDestInfo(http, dest.get()));
  if (!info) return fail(printerUnavailable(cupsLastErrorString()));
  int job = 0;
  const std::string job_title(title);
  // CUPS's own filters stop at the cap, whatever the page count found before.
  const std::string ranges = "1-" + std::to_string(max_pages_);
  cups_option_t* options = nullptr;
  int num_options = cupsAddOption("page-ranges", ranges.c_str(), 0, &options);
  const ipp_status_t created = cupsCreateDestJob(http, dest.get(), info.get(), &job,
                                                 job_title.c_str(), num_options, options);
  cupsFreeOptions(num_options, options);
  if (created != IPP_STATUS_OK) {
    return fail(printerUnavailable(cupsLastErrorString()));
  }
  if (cupsStartDestDocument(http, dest.get(), info.get(), job, "ricevuta.pdf", CUPS_FORMAT_PDF, 0,
                            nullptr, 1) != HTTP_STATUS_CONTINUE ||
      cupsWriteRequestData(http, pdf.data(), pdf.size()) != HTTP_STATUS_CONTINUE ||
      cupsFinishDestDocument(http, dest.get(), info.get()) != IPP_STATUS_OK) {
    const std::string why = cupsLastErrorString();
    cupsCancelDestJob(http, dest.get(), job);
    return fail(printerUnavailable(why));
  }
  return job;
}

domain::DeviceState CupsPrinter::stateOnThisThread() {
  std::unique_ptr<cups_dest_t, DestDeleter> dest(
      cupsGetNamedDest(CUPS_HTTP_DEFAULT, queue_.c_str(), nullptr));
  if (!dest)
    return {domain::DeviceStatus::kUnavailable,
            "la coda CUPS " + queue_ + " non risponde: " + cupsLastErrorString()};
  const char* state = cupsGetOption("printer-state", dest->num_options, dest->options);
  const char* reasons = cupsGetOption("printer-state-reasons", dest->num_options, dest->options);
  // The IPP reasons ("none", "media-empty"…) are CUPS's own keywords.
  const std::string detail =
      "coda CUPS " + queue_ + (reasons ? std::string(", stato: ") + reasons : "");
  // IPP printer-state: 3 idle, 4 processing, 5 stopped.
  if (state && std::string(state) == "5")
    return {domain::DeviceStatus::kUnavailable, detail + ", coda ferma (cupsenable)"};
  return {domain::DeviceStatus::kReady, detail};
}

}  // namespace kiosk::devices
