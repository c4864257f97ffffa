#include "domain/receipt_desk.h"

#include "core/log.h"
#include "domain/attachments.h"

namespace kiosk::domain {

Result<RenderedReceipt> ReceiptDesk::pdf(const Session& who,
                                         std::int64_t communication_id,
                                         std::optional<std::int64_t> message_id,
                                         bool large_print) {
  auto r = receipts_.receipt(who, communication_id, message_id);
  if (!r) return fail(r.error());
  r->large_print = large_print;
  auto bytes = renderer_.render(*r);
  if (!bytes) return fail(bytes.error());
  return RenderedReceipt{r->protocol, std::move(*bytes)};
}

Result<int> ReceiptDesk::print(const Session& who,
                               std::int64_t communication_id,
                               std::optional<std::int64_t> message_id,
                               bool large_print) {
  auto receipt = pdf(who, communication_id, message_id, large_print);
  if (!receipt) return fail(receipt.error());
  // The job title is seen by anyone at the CUPS queue: nothing personal in it.
  auto job = printer_.printPdf(receipt->pdf, "Ricevuta chiosco " + kiosk_id_);
  if (!job) return fail(job.error());  // logged with its detail where it is answered
  log::info("receipt_printed", {{"job", std::to_string(*job)}});
  return *job;
}

Result<int> ReceiptDesk::printAttachment(const StoredFile& file) {
  auto job = domain::printAttachment(file, printer_, renderer_, "Allegato chiosco " + kiosk_id_);
  if (!job) return fail(job.error());
  log::info("attachment_printed", {{"job", std::to_string(*job)}});
  return *job;
}

}  // namespace kiosk::domain
