// ReceiptDesk: the receipt as a document for the screen and the printer.
#pragma once

#include <map>
#include <mutex>
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
  // `max_pages`: the most pages one job may print ([printer] max_pages).
  ReceiptDesk(ReceiptService& receipts,
              ReceiptRenderer& renderer,
              Printer& printer,
              std::string kiosk_id,
              int max_pages = 20)
      : receipts_(receipts),
        renderer_(renderer),
        printer_(printer),
        kiosk_id_(std::move(kiosk_id)),
        max_pages_(max_pages) {}

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
  Result<int> printAttachment(const Session& who, const StoredFile& file);

  // Every job goes through here: one session has one job at a time (409
  // print_in_progress while it waits or prints) of at most `max_pages` pages
  // (422 too_many_pages), so a public printer cannot be flooded by taps.
  Result<int> submit(const Session& who, std::string_view pdf, const std::string& title);

 private:
  ReceiptService& receipts_;
  ReceiptRenderer& renderer_;
  Printer& printer_;
  std::string kiosk_id_;
  int max_pages_;
  std::mutex jobs_mutex_;                 // held across the check and the submission
  std::map<std::int64_t, int> last_job_;  // session id -> its newest job
};

}  // namespace kiosk::domain
