#include "http/multipart.h"

#include <civetweb.h>

#include "domain/attachments.h"

namespace kiosk::http {
namespace {

Error tooLarge() {
  return {ErrorCode::kTooLarge, "payload_too_large",
          "La richiesta è troppo grande: al massimo 5 documenti da 1 MB ciascuno."};
}

Error invalidForm() {
  return {ErrorCode::kBadRequest, "invalid_form", "Il modulo inviato non è valido."};
}

int onFieldFound(const char* key, const char* filename, char*, size_t, void* self) {
  return static_cast<FormCollector*>(self)->fieldFound(key, filename) ? MG_FORM_FIELD_STORAGE_GET
                                                                      : MG_FORM_FIELD_STORAGE_ABORT;
}

int onFieldGet(const char*, const char* value, size_t length, void* self) {
  return static_cast<FormCollector*>(self)->fieldData(value, length) ? MG_FORM_FIELD_HANDLE_GET
                                                                     : MG_FORM_FIELD_HANDLE_ABORT;
}

// Reads and drops what is left of the body, up to `bound` bytes.
void drain(mg_connection* conn, std::size_t bound) {
  char buf[16384];
  std::size_t read = 0;
  while (read < bound) {
    const int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) return;
    read += static_cast<std::size_t>(n);
  }
}

}  // namespace

bool FormCollector::fieldFound(const char* key, const char* filename) {
  if (error_) return false;
  const std::string name = key ? key : "";
  if (filename && *filename) {
    if (form_.files.size() >= limits_.max_files) {
      error_ = domain::tooManyAttachments();
      return false;
    }
    form_.files.push_back({name, filename, {}});
    current_ = Current::kFile;
    return true;
  }
  if (form_.fields.size() >= limits_.max_fields) {
    error_ = invalidForm();
    return false;
  }
  // A file input left empty comes with filename="" and no data: a plain field.
  current_ = Current::kField;
  current_field_ = name;
  form_.fields.try_emplace(name);
  return true;
}

bool FormCollector::fieldData(const char* value, std::size_t length) {
  if (error_) return false;
  total_ += length;
  if (total_ > limits_.max_total_bytes) {
    error_ = tooLarge();
    return false;
  }
  if (length == 0 || !value) return true;
  if (current_ == Current::kFile) {
    FormFile& f = form_.files.back();
    if (f.data.size() + length > limits_.max_file_bytes) {
      error_ = domain::attachmentTooLarge(domain::cleanFilename(f.filename));
      return false;
    }
    f.data.append(value, length);
  } else if (current_ == Current::kField) {
    std::string& v = form_.fields[current_field_];
    if (v.size() + length > limits_.max_field_bytes) {
      error_ = invalidForm();
      return false;
    }
    v.append(value, length);
  }
  return true;
}

Result<Form> readMultipart(mg_connection* conn, const FormLimits& limits) {
  const long long declared = mg_get_request_info(conn)->content_length;
  if (declared > static_cast<long long>(limits.max_total_bytes) + 64 * 1024) {
    return fail(tooLarge());  // not read at all: the server closes the connection
  }
  FormCollector collector(limits);
  mg_form_data_handler handler{};
  handler.field_found = onFieldFound;
  handler.field_get = onFieldGet;
  handler.user_data = &collector;
  const int fields = mg_handle_form_request(conn, &handler);
  if (collector.failed()) {
    drain(conn, limits.max_total_bytes + 128 * 1024);
    return fail(collector.error());
  }
  if (fields < 0) return fail(invalidForm());
  return collector.take();
}

}  // namespace kiosk::http
