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

void DocumentSources::sessionStarted(const std::string& session) {
  const std::string stick = usb_.insertion();
  std::lock_guard lock(sticks_mutex_);
  if (stick_at_login_.size() > 10000) stick_at_login_.clear();
  stick_at_login_[session] = stick;
}

void DocumentSources::sessionEnded(const std::string& session) {
  std::lock_guard lock(sticks_mutex_);
  stick_at_login_.erase(session);
}

Status DocumentSources::stickOfThisSession(const std::string& session) {
  const std::string now = usb_.insertion();
  if (now.empty()) return {};
  std::lock_guard lock(sticks_mutex_);
  auto it = stick_at_login_.find(session);
  if (it == stick_at_login_.end() || it->second != now) return {};
  return fail(Error::conflict(
      "usb_inserted_before_login",
      "La chiavetta nel chiosco era già inserita prima del suo accesso, forse da un'altra "
      "persona: per vederne i file la tolga e la inserisca di nuovo."));
}

Result<std::vector<UsbEntry>> DocumentSources::usbFiles(const std::string& session) {
  if (auto st = stickOfThisSession(session); !st) return fail(st.error());
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

Result<SourcedDocument> DocumentSources::usbFile(const std::string& session,
                                                 const std::string& name) {
  if (auto st = stickOfThisSession(session); !st) return fail(st.error());
  auto doc = usb_.read(name);
  if (!doc) return fail(doc.error());
  std::string filename = cleanFilename(name.substr(name.rfind('/') + 1));
  if (doc->data.size() > kMaxAttachmentBytes) return fail(attachmentTooLarge(filename));
  return SourcedDocument{std::move(filename), std::move(doc->content_type), std::move(doc->data),
                         0};
}

}  // namespace kiosk::domain
