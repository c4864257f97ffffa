// The pages of a PDF, counted by poppler's pdfinfo in a child process: a
// hostile PDF can neither crash nor stall the kiosk, and the count is the
// one poppler finds, not what the file claims.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiosk::devices {

// The PDF goes to the child through a memory file (no temporary file); the
// child is killed after `bound`. 422 not_printable when poppler cannot read
// it or takes too long; 503 printer_unavailable when `tool` cannot run.
Result<int> countPdfPages(std::string_view pdf,
                          std::chrono::milliseconds bound = std::chrono::seconds(5),
                          const std::string& tool = "/usr/bin/pdfinfo");

}  // namespace kiosk::devices
