// Shared pieces of the API handlers: the session guard (session, role, CSRF),
// JSON body parsing and error responses. Thread-safe.
#pragma once

#include <expected>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "domain/auth.h"
#include "http/message.h"

namespace kiosk::http {

inline constexpr const char* kSessionCookie = "kiosk_session";

// The session of a request, checked in this order: a live session (401
// unauthenticated), the role (403 forbidden), and for POST/PUT/PATCH/DELETE
// the X-CSRF-Token header (403 csrf).
class Guard {
 public:
  explicit Guard(domain::AuthService& auth) : auth_(auth) {}
  std::expected<domain::Session, Response> check(const Request& req,
                                                 std::initializer_list<domain::Role> roles) const;

 private:
  domain::AuthService& auth_;
};

// A JSON object body: 415 unless Content-Type is application/json, 400 invalid_json.
std::expected<nlohmann::json, Response> jsonBody(const Request& req);

// A string field: "" when absent or null; nullopt when of another type.
std::optional<std::string> stringField(const nlohmann::json& body, const char* key);

Response badRequest();
// The kiosk's own devices (scanner, USB stick, printer) serve its own screen
// only: 403 kiosk_screen_only from anywhere else (a staff PC has the file
// dialog and its own printer); nullopt from the screen.
std::optional<Response> kioskScreenOnly(const Request& req);
// The same refusal, saying which of the kiosk's devices (`message`).
std::optional<Response> kioskScreenOnly(const Request& req, std::string_view message);
Response unsupportedMediaType(std::string_view expected);

// The Content-Disposition header of a file answered ("inline" or
// "attachment"): an ASCII fallback and the UTF-8 name (RFC 6266/5987).
std::string contentDisposition(std::string_view disposition, std::string_view filename);

// The one way a handler turns an Error into a response: internal and
// unavailable ones are logged as errors with their detail, others with a
// detail (a device's reason) as warnings; the person reads only the message.
Response errorResponse(const Error& e);
// The same, with more members beside "error" in the body (/healthz says which
// part failed) and, where a route's contract fixes it, another status.
Response errorResponse(const Error& e, const nlohmann::json& members, int status);

// A use case's result answered: its error's response, or render(value).
template <typename T, typename Render>
Response respond(Result<T>&& result, Render&& render) {
  if (!result) return errorResponse(result.error());
  return std::forward<Render>(render)(*result);
}
// A Status answered: its error's response, or `ok`.
inline Response respond(Status status, Response ok) {
  if (!status) return errorResponse(status.error());
  return ok;
}

// A file answered as a download.
Response fileResponse(std::string content_type, std::string data, std::string_view filename);

// A positive integer path parameter; nullopt for anything else (the route answers 404).
std::optional<std::int64_t> idParam(const Request& req, const std::string& name);

}  // namespace kiosk::http
