#include "domain/attachments.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/crypto.h"
#include "core/utf8.h"

namespace kiosk::domain {
namespace {

struct AllowedType {
  std::string_view extension;
  std::string_view content_type;            // stored and served
  std::array<std::string_view, 4> sniffed;  // what libmagic may say for it
};

constexpr std::string_view kOle = "application/vnd.ms-office";
constexpr std::string_view kCdf = "application/CDFV2";

constexpr std::array<AllowedType, 15> kAllowed = {{
    {"pdf", "application/pdf", {"application/pdf"}},
    {"p7m", "application/pkcs7-mime", {"application/pkcs7-mime", "application/pkcs7-signature"}},
    {"jpg", "image/jpeg", {"image/jpeg"}},
    {"jpeg", "image/jpeg", {"image/jpeg"}},
    {"png", "image/png", {"image/png"}},
    {"tif", "image/tiff", {"image/tiff"}},
    {"tiff", "image/tiff", {"image/tiff"}},
    // libmagic names a text whose lines hold commas CSV: still a plain text.
    {"txt", "text/plain", {"text/plain", "text/csv"}},
    {"csv", "text/csv", {"text/csv", "text/plain", "application/csv"}},
    {"odt", "application/vnd.oasis.opendocument.text", {"application/vnd.oasis.opendocument.text"}},
    {"ods",
     "application/vnd.oasis.opendocument.spreadsheet",
     {"application/vnd.oasis.opendocument.spreadsheet"}},
    {"doc", "application/msword", {"application/msword", kOle, kCdf, "application/x-ole-storage"}},
    {"xls",
     "application/vnd.ms-excel",
     {"application/vnd.ms-excel", kOle, kCdf, "application/x-ole-storage"}},
    {"docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}},
    {"xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}},
}};

std::string extensionOf(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return {};
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// A DER-encoded CMS SignedData (what .p7m files are): a SEQUENCE whose first
// element is the OID 1.2.840.113549.1.7.2. libmagic calls it octet-stream.
bool isDerSignedData(std::string_view d) {
  static constexpr std::string_view kOid = "\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02";
  if (d.size() < 16 || static_cast<unsigned char>(d[0]) != 0x30) return false;
  const auto len = static_cast<unsigned char>(d[1]);
  std::size_t header = 2;
  if (len == 0x80) {
    header = 2;  // indefinite length (BER, common in CAdES from smart cards)
  } else if (len & 0x80) {
    header = 2 + (len & 0x7F);
  }
  return d.substr(header, kOid.size()) == kOid;
}

}  // namespace

Error tooManyAttachments() {
  return Error::invalid("too_many_attachments",
                        "Si possono allegare al massimo 5 documenti per messaggio.");
}

Error attachmentTooLarge(std::string_view filename) {
  return Error::invalid("attachment_too_large",
                        "Il documento \"" + std::string(filename) +
                            "\" supera la dimensione massima di 1 MB (1.048.576 byte).");
}

std::string allowedExtensions() {
  std::string out;
  for (const auto& t : kAllowed) {
    if (!out.empty()) out += ", ";
    out += t.extension;
  }
  return out;
}

std::string cleanFilename(std::string_view raw) {
  // Only the last path component, whatever separator the client used.
  const auto slash = raw.find_last_of("/\\");
  if (slash != std::string_view::npos) raw.remove_prefix(slash + 1);
  std::string name = utf8::clean(raw, /*drop_controls=*/true, /*keep_newlines=*/false);
  // A name that is only an extension once invisible characters are gone
  // (zero-width spaces + ".pdf") gets a neutral stem, not "pdf".
  if (const auto dot = name.rfind('.'); dot != std::string::npos && dot + 1 < name.size() &&
                                        name.find_first_not_of(". ") >= dot &&
                                        name.find_last_of(". ") == dot) {
    name = "allegato" + name.substr(dot);  // still cut to 255 bytes below
  }
  // No leading dots or spaces (hidden files, "..") and no trailing spaces.
  const auto first = name.find_first_not_of(". ");
  name = first == std::string::npos ? std::string() : name.substr(first);
  while (!name.empty() && (name.back() == ' ' || name.back() == '.')) name.pop_back();
  if (name.empty()) return "allegato";
  if (name.size() > 255) {
    // Keep the extension (up to 16 bytes) and cut the stem on a character boundary.
    const auto dot = name.rfind('.');
    const std::string ext =
        dot != std::string::npos && name.size() - dot <= 16 ? name.substr(dot) : std::string();
    name = std::string(utf8::truncate(name.substr(0, name.size() - ext.size()), 255 - ext.size())) +
           ext;
  }
  return name;
}

std::optional<std::string> allowedType(std::string_view filename,
                                       std::string_view data,
                                       FileSniffer& sniffer) {
  const std::string ext = extensionOf(filename);
  const auto allowed = std::find_if(kAllowed.begin(), kAllowed.end(),
                                    [&](const AllowedType& t) { return t.extension == ext; });
  if (allowed == kAllowed.end() || data.empty()) return std::nullopt;
  if (ext == "p7m") {
    // A signed file is judged by what it carries: the CMS envelope is parsed
    // and its content must be a document of an allowed type ("x.pdf.p7m"
    // holds a PDF). HTML after the SignedData OID no longer passes.
    if (!isDerSignedData(data)) return std::nullopt;
    const auto inner = sniffer.signedContent(data);
    if (!inner || inner->empty()) return std::nullopt;
    const std::string_view inner_name = filename.substr(0, filename.size() - 4);
    const std::string inner_ext = extensionOf(inner_name);
    const bool named = std::any_of(kAllowed.begin(), kAllowed.end(), [&](const AllowedType& t) {
      return t.extension == inner_ext && inner_ext != "p7m";
    });
    if (named) {
      if (!allowedType(inner_name, *inner, sniffer)) return std::nullopt;
    } else {
      const std::string sniffed_inner = sniffer.mimeType(*inner);
      const bool known = std::any_of(kAllowed.begin(), kAllowed.end(), [&](const AllowedType& t) {
        return t.extension != "p7m" &&
               std::find(t.sniffed.begin(), t.sniffed.end(), sniffed_inner) != t.sniffed.end();
      });
      if (!known) return std::nullopt;
    }
    return std::string(allowed->content_type);
  }
  const std::string sniffed = sniffer.mimeType(data);
  const bool matches = std::find(allowed->sniffed.begin(), allowed->sniffed.end(), sniffed) !=
                       allowed->sniffed.end();
  if (!matches) return std::nullopt;
  return std::string(allowed->content_type);
}

Result<NewAttachment> checkAttachment(IncomingFile file, FileSniffer& sniffer) {
  const std::string name = cleanFilename(file.filename);
  if (file.data.empty()) {
    return fail(Error::invalid("empty_attachment",
                               "Il documento \"" + name + "\" è vuoto: sceglierne un altro."));
  }
  if (file.data.size() > kMaxAttachmentBytes) return fail(attachmentTooLarge(name));
  const auto type = allowedType(name, file.data, sniffer);
  if (!type) {
    return fail(Error::invalid(
        "attachment_type_not_allowed",
        "Il documento \"" + name +
            "\" non è di un tipo ammesso, oppure il contenuto non corrisponde all'estensione. Tipi "
            "ammessi: " +
            allowedExtensions() + "."));
  }
  std::string digest = crypto::sha256Hex(file.data);
  return NewAttachment{name, *type, std::move(digest), std::move(file.data)};
}

Result<std::vector<NewAttachment>> checkAttachments(std::vector<IncomingFile> files,
                                                    FileSniffer& sniffer) {
  if (files.size() > kMaxAttachments) return fail(tooManyAttachments());
  std::vector<NewAttachment> out;
  out.reserve(files.size());
  for (auto& f : files) {
    auto a = checkAttachment(std::move(f), sniffer);
    if (!a) return fail(a.error());
    out.push_back(std::move(*a));
  }
  return out;
}

Result<std::string> printablePdf(const StoredFile& file, ReceiptRenderer& renderer) {
  const std::string& type = file.meta.content_type;
  if (type == "application/pdf") return file.data;
  if (type == "image/jpeg" || type == "image/png") return renderer.imagePage(file.data, type);
  return fail(Error::invalid("not_printable",
                             "Questo documento non si può stampare al chiosco: si stampano i PDF e "
                             "le immagini JPEG o PNG."));
}

}  // namespace kiosk::domain
