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
  auto job = submit(who, receipt->pdf, "Ricevuta chiosco " + kiosk_id_);
  if (!job) return fail(job.error());  // logged with its detail where it is answered
  log::info("receipt_printed", {{"job", std::to_string(*job)}});
  return *job;
}

Result<int> ReceiptDesk::printAttachment(const Session& who, const StoredFile& file) {
  auto pdf = printablePdf(file, renderer_);
  if (!pdf) return fail(pdf.error());
  auto job = submit(who, *pdf, "Allegato chiosco " + kiosk_id_);
  if (!job) return fail(job.error());
  log::info("attachment_printed", {{"job", std::to_string(*job)}});
  return *job;
}

Result<int> ReceiptDesk::submit(const Session& who,
                                std::string_view pdf,
                                const std::string& title) {
  std::lock_guard lock(jobs_mutex_);
  if (auto it = last_job_.find(who.id); it != last_job_.end() && printer_.jobActive(it->second)) {
    return fail(Error::conflict("print_in_progress",
                                "Una stampa è già in corso: attenda che esca dalla stampante, "
                                "poi riprovi."));
  }
  auto pages = printer_.pages(pdf);
  if (!pages) return fail(pages.error());
  if (*pages > max_pages_) {
    Error e = Error::invalid("too_many_pages",
                             "Il documento ha " + std::to_string(*pages) +
                                 " pagine: al chiosco se ne stampano al massimo " +
                                 std::to_string(max_pages_) +
                                 " per volta. Per stamparlo tutto si rivolga allo sportello.");
    e.detail = std::to_string(*pages) + " pages, limit " + std::to_string(max_pages_);
    return fail(std::move(e));
  }
  auto job = printer_.printPdf(pdf, title);
  if (!job) return fail(job.error());
  // Sessions come and go: forget the jobs that are done once there are many.
  if (last_job_.size() > 64) {
    std::erase_if(last_job_, [&](const auto& entry) { return !printer_.jobActive(entry.second); });
  }
  last_job_[who.id] = *job;
  return *job;
}

}  // namespace kiosk::domain
