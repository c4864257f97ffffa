// The glue between CivetWeb's multipart/form-data parser and the kiosk:
// fields and files collected in memory with every limit enforced inside the
// parser's callbacks, so an oversized or over-numerous upload is stopped
// while it streams in. Only ever called for multipart/form-data (CivetWeb
// spins on urlencoded bodies holding a NUL byte, upstream #1348).
#pragma once

#include "core/error.h"
#include "http/message.h"

struct mg_connection;

namespace kiosk::http {

// REQUIRES: the request's media type is multipart/form-data.
// Errors: 413 payload_too_large, 422 too_many_attachments,
// 422 attachment_too_large, 400 invalid_form. After an error the rest of the
// body is read and dropped (up to a bound) so that the answer reaches the client.
Result<Form> readMultipart(mg_connection* conn, const FormLimits& limits);

// The callbacks' state machine, apart from CivetWeb so that it can be fuzzed.
class FormCollector {
 public:
  explicit FormCollector(const FormLimits& limits) : limits_(limits) {}

  // As CivetWeb's field_found: returns false to abort.
  bool fieldFound(const char* key, const char* filename);
  // As CivetWeb's field_get: returns false to abort.
  bool fieldData(const char* value, std::size_t length);

  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }
  Form take() { return std::move(form_); }

 private:
  FormLimits limits_;
  Form form_;
  std::optional<Error> error_;
  std::size_t total_ = 0;
  enum class Current { kNone, kField, kFile } current_ = Current::kNone;
  std::string current_field_;
};

}  // namespace kiosk::http
