// ReceiptRenderer: turns a receipt into printable PDF bytes (libharu in
// src/receipts). Thread-safe.
#pragma once

#include <string>

#include "core/error.h"
#include "domain/receipts.h"

namespace kiosk::domain {

class ReceiptRenderer {
 public:
  virtual ~ReceiptRenderer() = default;
  virtual Result<std::string> render(const ReceiptData& receipt) = 0;
};

}  // namespace kiosk::domain
