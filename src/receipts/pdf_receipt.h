// Renders a receipt into a one-page A4 PDF with libharu, continuing on more
// pages only when the attachments need it. Layout and texts come from
// printouts/receipt.json (compiled in). The QR code is drawn as vector
// squares. Thread-safe (a document per call).
#pragma once

#include <string>

#include "core/error.h"
#include "domain/ports/receipt_renderer.h"
#include "domain/receipts.h"

namespace kiosk::receipts {

// PDF bytes. kUnavailable when a TTF font is needed and missing.
Result<std::string> renderReceipt(const domain::ReceiptData& receipt);

// A JPEG or PNG picture on one A4 page, fitted within 1 cm margins.
Result<std::string> imagePdf(std::string_view data, std::string_view content_type);

class PdfReceiptRenderer final : public domain::ReceiptRenderer {
 public:
  Result<std::string> render(const domain::ReceiptData& r) override { return renderReceipt(r); }
  Result<std::string> imagePage(std::string_view data, std::string_view content_type) override {
    return imagePdf(data, content_type);
  }
};

// UTF-8 to Windows-1252; nullopt when a character has no CP1252 form.
std::optional<std::string> toCp1252(std::string_view utf8);

// Where the record is kept in the PDF's metadata (Subject), so that
// verify-receipt can read it back without a PDF parser: "CK1;…".
std::optional<std::string> recordFromPdf(std::string_view pdf);

}  // namespace kiosk::receipts
