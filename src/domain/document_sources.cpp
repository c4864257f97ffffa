#include "domain/document_sources.h"

#include "domain/attachments.h"

namespace kiosk::domain {
namespace {

std::string refusedReason(const std::string& code) {
  if (code == "empty") return "Il documento è vuoto.";
  if (code == "too_large") return "Supera la dimensione massima di 1 MB.";
  return "Tipo di documento non ammesso: " + allowedExtensions() + ".";
}

}  // namespace

Result<SourcedDocument> DocumentSources::scan(int pages, bool ask_between) {
  if (pages < 1 || pages > kMaxScanPages) {
    return fail(Error::invalid("invalid_pages", "Si possono scansionare da 1 a 10 pagine."));
  }
  auto doc = scanner_.scan(pages, ask_between);
  if (!doc) return fail(doc.error());
  // The scanner fits its quality to the limit; a larger document is refused
  // here rather than at the send.
  if (doc->data.size() > kMaxAttachmentBytes) return fail(attachmentTooLarge(doc->filename));
  return SourcedDocument{std::move(doc->filename), std::move(doc->content_type),
                         std::move(doc->data), doc->pages};
}

Status DocumentSources::answerScan(bool more) {
  if (!scanner_.progress().waiting) {
    return fail(Error::conflict("scan_not_waiting", "Nessuna scansione attende una risposta."));
  }
  more ? scanner_.next() : scanner_.finish();
  return {};
}

Result<std::vector<UsbEntry>> DocumentSources::usbFiles() {
  auto files = usb_.list();
  if (!files) return fail(files.error());
  std::vector<UsbEntry> out;
  out.reserve(files->size());
  for (auto& f : *files) {
    std::string reason = f.refused.empty() ? "" : refusedReason(f.refused);
    out.push_back({std::move(f), std::move(reason)});
  }
  return out;
}

Result<SourcedDocument> DocumentSources::usbFile(const std::string& name) {
  auto doc = usb_.read(name);
  if (!doc) return fail(doc.error());
  std::string filename = cleanFilename(name.substr(name.rfind('/') + 1));
  if (doc->data.size() > kMaxAttachmentBytes) return fail(attachmentTooLarge(filename));
  return SourcedDocument{std::move(filename), std::move(doc->content_type), std::move(doc->data),
                         0};
}

}  // namespace kiosk::domain
