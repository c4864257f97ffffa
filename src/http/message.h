// Request and Response: the HTTP layer's values. A CivetWeb connection becomes
// a Request; a handler returns a Response; nothing else in the program sees
// CivetWeb. Thread safety: plain values.
#pragma once

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

struct Request {
  std::string method;                        // "GET", "POST", …
  std::string path;                          // decoded, without the query string
  std::map<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;         // read in full only for non-multipart requests, capped
  std::string remote_addr;  // client IP
  std::map<std::string, std::string> params;  // from the route pattern, e.g. {id}

  std::string header(const std::string& name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> queryParam(const std::string& name) const;
  // The media type without parameters, lower-cased ("application/json").
  std::string mediaType() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(int status, const nlohmann::json& body);
  // The error shape of CONTRACT.md: {"error": {"code", "message"}}.
  static Response error(int status, std::string_view code, std::string_view message);
  static Response fromError(const Error& e);
  static Response noContent();

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// The HTTP status that an error category maps to.
int statusFor(const Error& e);

// Decodes %XX and '+' (for query strings). Returns nullopt on a bad escape
// or an embedded NUL.
std::optional<std::string> urlDecode(std::string_view in, bool plus_is_space);

// Parses "a=1&b=2" into decoded pairs; bad escapes drop the pair.
std::map<std::string, std::string> parseQuery(std::string_view query);

}  // namespace kiosk::http
