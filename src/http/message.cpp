#include "http/message.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "core/json_writer.h"

namespace kiosk::http {
namespace {

// Every JSON answer leaves through JsonWriter: one escaping, one UTF-8 policy.
void write(JsonWriter& w, const nlohmann::json& v) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::object:
      w.beginObject();
      for (const auto& [k, x] : v.items()) {
        w.key(k);
        write(w, x);
      }
      w.endObject();
      return;
    case T::array:
      w.beginArray();
      for (const auto& x : v) write(w, x);
      w.endArray();
      return;
    case T::string:
      w.value(v.get_ref<const std::string&>());
      return;
    case T::boolean:
      w.value(v.get<bool>());
      return;
    case T::number_integer:
      w.value(v.get<std::int64_t>());
      return;
    case T::number_unsigned:
      w.value(static_cast<std::int64_t>(v.get<std::uint64_t>()));
      return;
    case T::number_float:
      w.number(v.get<double>());
      return;
    default:
      w.null();
  }
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  const std::string all = header("Cookie");
  std::string_view rest = all;
  while (!rest.empty()) {
    auto end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string> Request::queryParam(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

bool Request::fromKioskScreen() const {
  // Anything through the TLS proxy carries X-Forwarded-For, even empty.
  return (remote_addr == "127.0.0.1" || remote_addr == "::1") &&
         headers.find("X-Forwarded-For") == headers.end();
}

std::string Request::mediaType() const {
  std::string type = header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  JsonWriter w(r.body);
  write(w, body);
  return r;
}

Response Response::rawJson(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

nlohmann::json errorJson(const Error& e) {
  nlohmann::json out = {{"code", e.reason}, {"message", e.message}};
  if (e.tries_left >= 0) out["tries_left"] = e.tries_left;
  return out;
}

Response Response::fromError(const Error& e) {
  return json(statusFor(e), {{"error", errorJson(e)}});
}

Response Response::noContent() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

int statusFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalid:
      return 422;
    case ErrorCode::kBadRequest:
      return 400;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kLocked:
      return 423;
    case ErrorCode::kTimeout:
      return 408;
    case ErrorCode::kTooMany:
      return 429;
    case ErrorCode::kUnavailable:
    case ErrorCode::kStorageUnavailable:
      return 503;
    case ErrorCode::kStorageFull:
      return 507;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::optional<std::string> urlDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        return std::nullopt;
      }
      c = static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto end = query.find('&');
    std::string_view pair = query.substr(0, end);
    query.remove_prefix(end == std::string_view::npos ? query.size() : end + 1);
    const auto eq = pair.find('=');
    auto key = urlDecode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : urlDecode(pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    if (!key->empty()) out.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace kiosk::http
