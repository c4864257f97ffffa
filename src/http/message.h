// Request and Response: the HTTP layer's values. A CivetWeb connection becomes
// a Request; a handler returns a Response; nothing else in the program sees
// CivetWeb. Thread safety: plain values.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace kiosk::http {

// Case-insensitive comparison for header names.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

// A multipart/form-data body, read within limits.
struct FormFile {
  std::string field;
  std::string filename;  // as the client sent it: display only, never a path
  std::string data;
};

struct Form {
  std::map<std::string, std::string> fields;
  std::vector<FormFile> files;

  std::string field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

struct FormLimits {
  std::size_t max_files = 5;                 // a 6th file is too_many_attachments
  std::size_t max_file_bytes = 1024 * 1024;  // a larger file is attachment_too_large
  std::size_t max_total_bytes = 5 * 1024 * 1024 + 256 * 1024;  // whole body, else 413
  std::size_t max_fields = 32;
  std::size_t max_field_bytes = 64 * 1024;
};

struct Request {
  std::string method;                        // "GET", "POST", …
  std::string path;                          // decoded, without the query string
  std::map<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;         // read in full only for non-multipart requests, capped
  std::string remote_addr;  // client IP
  std::string client;       // for rate limits: X-Forwarded-For's last hop via the loopback proxy
  std::map<std::string, std::string> params;  // from the route pattern, e.g. {id}
  // Set by the server for multipart/form-data requests: streams the body
  // through CivetWeb's form parser with the limits enforced as it reads.
  // Call it after the session and CSRF checks, at most once.
  std::function<Result<Form>(const FormLimits&)> read_form;

  std::string header(const std::string& name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> queryParam(const std::string& name) const;
  // Sent by the kiosk's own screen (or the box itself): loopback without the
  // X-Forwarded-For the LAN's TLS proxy adds. Staff PCs come through the proxy.
  bool fromKioskScreen() const;
  // The media type without parameters, lower-cased ("application/json").
  std::string mediaType() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(int status, const nlohmann::json& body);
  // A body already serialized as JSON.
  static Response rawJson(int status, std::string body);
  // The error shape of CONTRACT.md: {"error": {"code", "message"}}.
  static Response error(int status, std::string_view code, std::string_view message);
  static Response fromError(const Error& e);
  static Response noContent();

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// The "error" member of CONTRACT.md's error shape: code, message (and the
// tries left, where the error counts them).
nlohmann::json errorJson(const Error& e);

// The HTTP status that an error category maps to.
int statusFor(const Error& e);

// Decodes %XX and '+' (for query strings). Returns nullopt on a bad escape
// or an embedded NUL.
std::optional<std::string> urlDecode(std::string_view in, bool plus_is_space);

// Parses "a=1&b=2" into decoded pairs; nullopt when a name or value does
// not decode (a bad escape, a NUL): the request is refused rather than read
// without that parameter.
std::optional<std::map<std::string, std::string>> parseQuery(std::string_view query);

}  // namespace kiosk::http
