// multipart/form-data, parsed by the kiosk itself as the body streams in.
// CivetWeb's own form parser is never used: it spins on an urlencoded body
// holding a NUL when a second Content-Type header says multipart (upstream
// #1348), URL-decodes file names ("my+file.pdf" became "my file.pdf"), turns
// "." and ".." into empty names that look like plain fields, and skips names
// over 1,023 bytes; each of those dropped a part without a word.
//
// Here every part is either kept or refused: a repeated plain field, a part
// without a name, a file under an unknown field or a malformed body is 400
// invalid_form, and file names are kept exactly as sent (the domain cleans
// them for display). Limits are enforced as the bytes arrive.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace kiosk::http {

// The boundary of a "multipart/form-data; boundary=…" Content-Type, or
// nullopt when missing or not 1–70 characters.
std::optional<std::string> multipartBoundary(std::string_view content_type);

// The parts' state machine: what the parser found, checked against the limits.
class FormCollector {
 public:
  explicit FormCollector(const FormLimits& limits) : limits_(limits) {}

  // A part begins. `filename` is set (possibly empty) when the part's
  // Content-Disposition has one. Returns false to abort.
  bool partFound(std::string_view name, const std::optional<std::string>& filename);
  // Some of the current part's bytes. Returns false to abort.
  bool partData(std::string_view bytes);
  // The current part is complete. Returns false to abort.
  bool partEnd();

  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }
  void fail(Error e) {
    if (!error_) error_ = std::move(e);
  }
  Form take() { return std::move(form_); }

 private:
  FormLimits limits_;
  Form form_;
  std::optional<Error> error_;
  std::size_t total_ = 0;
  enum class Current { kNone, kField, kFile } current_ = Current::kNone;
  std::string current_field_;
};

// A streaming multipart/form-data parser: feed() the body in pieces of any
// size, then finish(). Memory stays within one part's header block plus the
// largest piece fed.
class MultipartParser {
 public:
  MultipartParser(std::string boundary, const FormLimits& limits);

  // Returns false once the body is refused (see result()).
  bool feed(std::string_view bytes);
  // The body ended: the form, or why it was refused.
  Result<Form> finish();
  // True once the closing delimiter was seen (what follows is ignored).
  bool complete() const { return state_ == State::kDone; }

 private:
  bool step();  // processes what is buffered; false when more bytes are needed
  bool parseHeaders(std::string_view block);
  void refuse(std::string_view why);

  std::string delimiter_;  // "\r\n--" + boundary
  FormCollector collector_;
  std::string buffer_;
  std::size_t pos_ = 0;
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kData, kDone, kFailed };
  State state_ = State::kPreamble;
};

// Errors of the form (shared with the server).
Error invalidForm(std::string_view detail = {});
Error formTooLarge();

}  // namespace kiosk::http
