#include "http/handler_util.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "core/log.h"
#include "core/utf8.h"

namespace kiosk::http {
namespace {

bool changesState(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool sameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::expected<domain::Session, Response> Guard::check(
    const Request& req, std::initializer_list<domain::Role> roles) const {
  auto token = req.cookie(kSessionCookie);
  if (!token) return std::unexpected(Response::fromError(domain::unauthenticated()));
  auto session = auth_.authenticate(*token);
  if (!session) return std::unexpected(errorResponse(session.error()));
  bool allowed = false;
  for (domain::Role r : roles) allowed = allowed || r == session->role;
  if (!allowed) {
    return std::unexpected(
        Response::error(403, "forbidden", "Operazione non consentita per questo profilo."));
  }
  if (changesState(req.method) && !sameSecret(req.header("X-CSRF-Token"), session->csrf_token)) {
    return std::unexpected(
        Response::error(403, "csrf", "Richiesta non valida: ricarichi la pagina e riprovi."));
  }
  return *session;
}

std::expected<nlohmann::json, Response> jsonBody(const Request& req) {
  if (req.mediaType() != "application/json") {
    return std::unexpected(unsupportedMediaType("JSON"));
  }
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return std::unexpected(
        Response::error(400, "invalid_json", "La richiesta non è un oggetto JSON valido."));
  }
  return body;
}

std::optional<std::string> stringField(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<Response> kioskScreenOnly(const Request& req) {
  return kioskScreenOnly(req,
                         "Scanner, chiavetta USB e stampante del chiosco si usano solo dallo "
                         "schermo del chiosco.");
}

std::optional<Response> kioskScreenOnly(const Request& req, std::string_view message) {
  if (req.fromKioskScreen()) return std::nullopt;
  return Response::error(403, "kiosk_screen_only", message);
}

Response badRequest() {
  return Response::error(400, "invalid_request", "La richiesta non ha i campi attesi.");
}

Response unsupportedMediaType(std::string_view expected) {
  return Response::error(
      415, "unsupported_media_type",
      "Formato della richiesta non supportato: serve " + std::string(expected) + ".");
}

// RFC 6266/5987: an ASCII fallback and the UTF-8 name percent-encoded.
std::string contentDisposition(std::string_view disposition, std::string_view filename) {
  std::string ascii;
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    // One '_' in the ASCII fallback per non-ASCII character (its lead byte).
    if (plain || c == ' ') {
      ascii.push_back(static_cast<char>(c));
    } else if (!utf8::isContinuation(static_cast<char>(c))) {
      ascii.push_back('_');
    }
    if (plain) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return std::string(disposition) + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

Response errorResponse(const Error& e) {
  if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kUnavailable ||
      e.code == ErrorCode::kStorageUnavailable) {
    log::error("request_failed", {{"reason", e.reason}, {"detail", e.detail}});
  } else if (!e.detail.empty()) {
    log::warn("request_refused", {{"reason", e.reason}, {"detail", e.detail}});
  }
  Response res = Response::fromError(e);
  // A limit that lifts at a known time says when: the seconds are its detail.
  if (e.code == ErrorCode::kTooMany && !e.detail.empty() &&
      std::ranges::all_of(e.detail, [](char c) { return c >= '0' && c <= '9'; })) {
    res.header("Retry-After", e.detail);
  }
  return res;
}

Response errorResponse(const Error& e, const nlohmann::json& members, int status) {
  Response base = errorResponse(e);  // logged, with its headers
  nlohmann::json body = members;
  body["error"] = errorJson(e);
  Response res = Response::json(status, body);
  res.headers = std::move(base.headers);
  return res;
}

Response fileResponse(std::string content_type, std::string data, std::string_view filename) {
  Response res;
  res.content_type = std::move(content_type);
  res.body = std::move(data);
  res.header("Content-Disposition", contentDisposition("attachment", filename));
  return res;
}

std::optional<std::int64_t> idParam(const Request& req, const std::string& name) {
  auto it = req.params.find(name);
  if (it == req.params.end()) return std::nullopt;
  std::int64_t id = 0;
  const auto& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace kiosk::http
