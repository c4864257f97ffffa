// Attachment rules: file names cleaned for display, size limits, and types
// judged by content with the extension required to agree. Pure functions
// plus the FileSniffer port; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "domain/model.h"
#include "domain/ports/file_sniffer.h"
#include "domain/ports/printer.h"
#include "domain/ports/receipt_renderer.h"

namespace kiosk::domain {

inline constexpr std::size_t kMaxAttachments = 5;
inline constexpr std::size_t kMaxAttachmentBytes = 1024 * 1024;  // 1 MiB

// A file as the client sent it.
struct IncomingFile {
  std::string filename;  // the client's name: display only, never a path
  std::string data;
};

// The last path component, without control characters or invalid UTF-8,
// without leading dots and spaces, at most 255 bytes (keeping the extension);
// "allegato" when nothing is left, "allegato.pdf" when only ".pdf" is.
std::string cleanFilename(std::string_view raw);

// The allowed extensions, for messages and the UI: "pdf, p7m, jpg, …".
std::string allowedExtensions();

// The canonical content type of a file called `filename` holding `data`
// (sniffed by content), or nullopt when the type is not allowed or the
// content and the extension disagree.
std::optional<std::string> allowedType(std::string_view filename,
                                       std::string_view data,
                                       FileSniffer& sniffer);

// Checks one file: empty_attachment, attachment_too_large or
// attachment_type_not_allowed; else the attachment ready to store (cleaned
// name, canonical content type, SHA-256).
// Takes the file by value: its bytes move into the result, never copied.
Result<NewAttachment> checkAttachment(IncomingFile file, FileSniffer& sniffer);

// A stored attachment as the PDF the kiosk's printer takes: a PDF as it is, a
// JPEG or PNG picture on an A4 page; 422 not_printable for other types (text,
// spreadsheets, signed files).
Result<std::string> printablePdf(const StoredFile& file, ReceiptRenderer& renderer);

// Checks the count and every file.
Result<std::vector<NewAttachment>> checkAttachments(std::vector<IncomingFile> files,
                                                    FileSniffer& sniffer);

Error tooManyAttachments();
Error attachmentTooLarge(std::string_view filename);

}  // namespace kiosk::domain
