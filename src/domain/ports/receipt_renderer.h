// ReceiptRenderer: turns a receipt, or a picture to print, into PDF bytes
// (libharu in src/receipts). Thread-safe.
#pragma once

#include <string>

#include "core/error.h"
#include "domain/receipts.h"

namespace kiosk::domain {

class ReceiptRenderer {
 public:
  virtual ~ReceiptRenderer() = default;
  virtual Result<std::string> render(const ReceiptData& receipt) = 0;
  // A JPEG or PNG picture fitted on one A4 page; 422 not_printable when the
  // bytes are not a picture libharu reads.
  virtual Result<std::string> imagePage(std::string_view data, std::string_view content_type) = 0;
};

}  // namespace kiosk::domain
