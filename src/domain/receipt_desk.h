// ReceiptDesk: the receipt as a document for the screen and the printer.
#pragma once

#include <optional>
#include <string>

#include "domain/ports/printer.h"
#include "domain/ports/receipt_renderer.h"
#include "domain/receipts.h"

namespace kiosk::domain {

// A receipt as a document: its protocol (for the file name) and its PDF.
struct RenderedReceipt {
  std::string protocol;
  std::string pdf;
};

// The receipt on screen and on paper: made (signed, the audit head anchored),
// rendered, and for "Stampa ricevuta" sent to the kiosk's printer. The owner
// or staff; others get 404.
class ReceiptDesk {
 public:
  ReceiptDesk(ReceiptService& receipts,
              ReceiptRenderer& renderer,
              Printer& printer,
              std::string kiosk_id)
      : receipts_(receipts),
        renderer_(renderer),
        printer_(printer),
        kiosk_id_(std::move(kiosk_id)) {}

  // `large_print`: every text at 16 pt and up, for a person who reads large print.
  Result<RenderedReceipt> pdf(const Session& who,
                              std::int64_t communication_id,
                              std::optional<std::int64_t> message_id,
                              bool large_print = false);
  // The CUPS job's id; 503 printer_unavailable when the printer cannot take it.
  Result<int> print(const Session& who,
                    std::int64_t communication_id,
                    std::optional<std::int64_t> message_id,
                    bool large_print = false);
  // An attachment the person may read (see CommunicationService::attachment)
  // on paper: PDFs and pictures; 422 not_printable for other types.
  Result<int> printAttachment(const StoredFile& file);

 private:
  ReceiptService& receipts_;
  ReceiptRenderer& renderer_;
  Printer& printer_;
  std::string kiosk_id_;
};

}  // namespace kiosk::domain
