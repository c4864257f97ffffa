#include "http/multipart.h"

#include <algorithm>
#include <cctype>

#include "domain/attachments.h"

namespace kiosk::http {
namespace {

constexpr std::size_t kMaxHeaderBlock = 16 * 1024;  // one part's headers
constexpr std::size_t kCompactAt = 64 * 1024;       // drop consumed bytes past this

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parameters of a header value: `form-data; name="a"; filename="b"`.
// Quoted values keep every byte but the quotes; \" and \\ are unescaped.
// Returns false on a malformed value (an unterminated quote).
bool parseParams(std::string_view v,
                 std::string& type,
                 std::vector<std::pair<std::string, std::string>>& params) {
  std::size_t i = v.find(';');
  type = std::string(trim(v.substr(0, i)));
  while (i != std::string_view::npos && i < v.size()) {
    ++i;  // past ';'
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    const std::size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(trim(v.substr(i, eq - i)));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t j = eq + 1;
    while (j < v.size() && (v[j] == ' ' || v[j] == '\t')) ++j;
    std::string value;
    if (j < v.size() && v[j] == '"') {
      ++j;
      bool closed = false;
      while (j < v.size()) {
        const char c = v[j];
        if (c == '\\' && j + 1 < v.size() && (v[j + 1] == '"' || v[j + 1] == '\\')) {
          value += v[j + 1];
          j += 2;
        } else if (c == '"') {
          closed = true;
          ++j;
          break;
        } else {
          value += c;
          ++j;
        }
      }
      if (!closed) return false;
      i = v.find(';', j);
    } else {
      const std::size_t end = v.find(';', j);
      value = std::string(trim(v.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

// RFC 8187 ext-value "UTF-8''%e2%82%ac.pdf"; nullopt for another charset or a bad escape.
std::optional<std::string> extValue(std::string_view v) {
  const std::size_t q = v.find("''");
  if (q == std::string_view::npos || !iequals(v.substr(0, q), "utf-8")) return std::nullopt;
  return urlDecode(v.substr(q + 2), /*plus_is_space=*/false);
}

}  // namespace

Error invalidForm(std::string_view detail) {
  return {ErrorCode::kBadRequest, "invalid_form", "Il modulo inviato non è valido.",
          std::string(detail)};
}

Error formTooLarge() {
  return {ErrorCode::kTooLarge, "payload_too_large",
          "La richiesta è troppo grande: al massimo 5 documenti da 1 MB ciascuno."};
}

std::optional<std::string> multipartBoundary(std::string_view content_type) {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  if (!parseParams(content_type, type, params) || !iequals(type, "multipart/form-data")) {
    return std::nullopt;
  }
  std::optional<std::string> boundary;
  for (auto& [k, v] : params) {
    if (k != "boundary") continue;
    if (boundary) return std::nullopt;  // two boundaries: which one?
    boundary = v;
  }
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

// --- FormCollector ---------------------------------------------------------

bool FormCollector::partFound(std::string_view name, const std::optional<std::string>& filename) {
  if (error_) return false;
  if (name.empty()) {
    fail(invalidForm("part without a name"));
    return false;
  }
  if (filename) {
    if (name != "attachments") {
      fail(invalidForm("file under an unknown field"));
      return false;
    }
    form_.files.push_back({std::string(name), *filename, {}});
    current_ = Current::kFile;
    return true;
  }
  if (form_.fields.size() >= limits_.max_fields) {
    fail(invalidForm("too many fields"));
    return false;
  }
  if (!form_.fields.try_emplace(std::string(name)).second) {
    // Two "subject" parts used to be glued into one subject.
    fail({ErrorCode::kBadRequest, "invalid_form",
          "Il modulo inviato non è valido: il campo \"" + std::string(name) +
              "\" compare più di una volta."});
    return false;
  }
  current_ = Current::kField;
  current_field_ = std::string(name);
  return true;
}

bool FormCollector::partData(std::string_view bytes) {
  if (error_) return false;
  total_ += bytes.size();
  if (total_ > limits_.max_total_bytes) {
    fail(formTooLarge());
    return false;
  }
  if (bytes.empty()) return true;
  if (current_ == Current::kFile) {
    if (form_.files.size() > limits_.max_files) {
      fail(domain::tooManyAttachments());
      return false;
    }
    FormFile& f = form_.files.back();
    if (f.data.size() + bytes.size() > limits_.max_file_bytes) {
      fail(domain::attachmentTooLarge(domain::cleanFilename(f.filename)));
      return false;
    }
    // Room for the largest file at once: growing by doubling copied each
    // megabyte about twice (pages never written are never resident).
    if (f.data.empty()) f.data.reserve(limits_.max_file_bytes);
    f.data.append(bytes);
  } else if (current_ == Current::kField) {
    std::string& v = form_.fields[current_field_];
    if (v.size() + bytes.size() > limits_.max_field_bytes) {
      fail(invalidForm("field too long"));
      return false;
    }
    v.append(bytes);
  }
  return true;
}

bool FormCollector::partEnd() {
  if (error_) return false;
  if (current_ == Current::kFile) {
    const FormFile& f = form_.files.back();
    // A file input left empty: filename="" and no bytes. Nothing was chosen.
    if (f.filename.empty() && f.data.empty()) {
      form_.files.pop_back();
    } else if (form_.files.size() > limits_.max_files) {
      fail(domain::tooManyAttachments());
      return false;
    }
  }
  current_ = Current::kNone;
  return true;
}

// --- MultipartParser -------------------------------------------------------

MultipartParser::MultipartParser(std::string boundary, const FormLimits& limits)
    : delimiter_("\r\n--" + boundary), collector_(limits) {
  // The first delimiter has no CRLF before it: pretend it had one.
  buffer_ = "\r\n";
}

void MultipartParser::refuse(std::string_view why) {
  collector_.fail(invalidForm(why));
  state_ = State::kFailed;
}

bool MultipartParser::parseHeaders(std::string_view block) {
  std::optional<std::string> name;
  std::optional<std::string> filename;
  std::optional<std::string> filename_ext;
  bool disposition = false;
  while (!block.empty()) {
    const std::size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      refuse("part header without a colon");
      return false;
    }
    if (!iequals(trim(line.substr(0, colon)), "content-disposition")) continue;
    if (disposition) {
      refuse("two Content-Disposition headers");
      return false;
    }
    disposition = true;
    std::string type;
    std::vector<std::pair<std::string, std::string>> params;
    if (!parseParams(line.substr(colon + 1), type, params) || !iequals(type, "form-data")) {
      refuse("bad Content-Disposition");
      return false;
    }
    for (auto& [k, v] : params) {
      auto* slot = k == "name"        ? &name
                   : k == "filename"  ? &filename
                   : k == "filename*" ? &filename_ext
                                      : nullptr;
      if (!slot) continue;
      if (*slot) {
        refuse("repeated Content-Disposition parameter");
        return false;
      }
      *slot = std::move(v);
    }
  }
  if (!disposition || !name) {
    refuse("part without Content-Disposition name");
    return false;
  }
  if (filename_ext) {
    auto decoded = extValue(*filename_ext);
    if (!decoded) {
      refuse("bad filename*");
      return false;
    }
    filename = std::move(decoded);
  }
  if (!collector_.partFound(*name, filename)) {
    state_ = State::kFailed;
    return false;
  }
  return true;
}

bool MultipartParser::step() {
  const std::string_view buf(buffer_);
  switch (state_) {
    case State::kPreamble: {
      const std::size_t at = buf.find(delimiter_, pos_);
      if (at == std::string_view::npos) {
        // Keep only what could be the start of a delimiter.
        if (buf.size() - pos_ >= delimiter_.size()) pos_ = buf.size() - delimiter_.size() + 1;
        return false;
      }
      pos_ = at + delimiter_.size();
      state_ = State::kAfterDelimiter;
      return true;
    }
    case State::kAfterDelimiter: {
      // Transport padding (spaces, tabs) may follow the delimiter.
      std::size_t i = pos_;
      while (i < buf.size() && (buf[i] == ' ' || buf[i] == '\t')) ++i;
      if (buf.size() - i < 2) {
        if (i - pos_ > 256) refuse("padding after a delimiter");
        return false;
      }
      if (buf.substr(i, 2) == "--") {
        state_ = State::kDone;
        return false;
      }
      if (buf.substr(i, 2) != "\r\n") {
        refuse("garbage after a delimiter");
        return false;
      }
      pos_ = i + 2;
      state_ = State::kHeaders;
      return true;
    }
    case State::kHeaders: {
      std::size_t end;
      std::size_t body;
      if (buf.substr(pos_, 2) == "\r\n") {
        end = pos_;  // no headers at all
        body = pos_ + 2;
      } else {
        end = buf.find("\r\n\r\n", pos_);
        if (end == std::string_view::npos) {
          if (buf.size() - pos_ > kMaxHeaderBlock) refuse("part headers too long");
          return false;
        }
        body = end + 4;
      }
      if (end - pos_ > kMaxHeaderBlock) {
        refuse("part headers too long");
        return false;
      }
      if (!parseHeaders(buf.substr(pos_, end - pos_))) return false;
      pos_ = body;
      state_ = State::kData;
      return true;
    }
    case State::kData: {
      const std::size_t at = buf.find(delimiter_, pos_);
      if (at == std::string_view::npos) {
        // Hand over all but a possible partial delimiter at the end.
        const std::size_t keep = delimiter_.size() - 1;
        if (buf.size() - pos_ > keep) {
          const std::size_t n = buf.size() - pos_ - keep;
          if (!collector_.partData(buf.substr(pos_, n))) {
            state_ = State::kFailed;
            return false;
          }
          pos_ += n;
        }
        return false;
      }
      if (!collector_.partData(buf.substr(pos_, at - pos_)) || !collector_.partEnd()) {
        state_ = State::kFailed;
        return false;
      }
      pos_ = at + delimiter_.size();
      state_ = State::kAfterDelimiter;
      return true;
    }
    case State::kDone:
    case State::kFailed:
      return false;
  }
  return false;
}

bool MultipartParser::feed(std::string_view bytes) {
  if (state_ == State::kFailed) return false;
  if (state_ == State::kDone) return true;  // the epilogue is ignored
  if (pos_ >= kCompactAt || (pos_ > 0 && pos_ == buffer_.size())) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
  while (step()) {
  }
  return state_ != State::kFailed;
}

Result<Form> MultipartParser::finish() {
  if (collector_.failed()) return fail(collector_.error());
  if (state_ != State::kDone) return fail(invalidForm("body ended before the closing delimiter"));
  return collector_.take();
}

}  // namespace kiosk::http
