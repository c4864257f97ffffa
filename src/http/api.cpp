#include "http/api.h"

#include <sodium.h>

#include <initializer_list>

#include "core/log.h"
#include "core/topics.h"

namespace kiosk::http {
namespace {

using domain::Role;
using domain::Session;
using nlohmann::json;

bool changesState(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool sameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Response forbidden() {
  return Response::error(403, "forbidden", "Operazione non consentita per questo profilo.");
}

// Parses a JSON object body; errors come as ready responses.
std::expected<json, Response> jsonBody(const Request& req) {
  if (req.mediaType() != "application/json") {
    return std::unexpected(Response::error(415, "unsupported_media_type",
                                           "Formato della richiesta non supportato: serve JSON."));
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return std::unexpected(
        Response::error(400, "invalid_json", "La richiesta non è un oggetto JSON valido."));
  }
  return body;
}

Response badRequest() {
  return Response::error(400, "invalid_request", "La richiesta non ha i campi attesi.");
}

// A string field: "" when absent; nullopt when present with another type.
std::optional<std::string> stringField(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

class Handlers {
 public:
  Handlers(ApiDeps deps, ApiOptions options) : d_(deps), options_(std::move(options)) {}

  // The session of the request, checked for role and (on changes) CSRF.
  std::expected<Session, Response> guard(const Request& req, std::initializer_list<Role> roles) {
    auto token = req.cookie(kSessionCookie);
    if (!token) return std::unexpected(Response::fromError(domain::unauthenticated()));
    auto session = d_.auth.authenticate(*token);
    if (!session) return std::unexpected(Response::fromError(session.error()));
    bool allowed = false;
    for (Role r : roles) allowed = allowed || r == session->role;
    if (!allowed) return std::unexpected(forbidden());
    if (changesState(req.method) && !sameSecret(req.header("X-CSRF-Token"), session->csrf_token)) {
      return std::unexpected(
          Response::error(403, "csrf", "Richiesta non valida: ricaricare la pagina e riprovare."));
    }
    return *session;
  }

  json sessionJson(const Session& s) const {
    return {{"role", domain::roleName(s.role)},
            {"display_name", s.display_name},
            {"csrf_token", s.csrf_token},
            {"idle_timeout_seconds", d_.auth.policy().idle_timeout_seconds},
            {"expires_at", s.created_at + d_.auth.policy().absolute_lifetime_seconds}};
  }

  std::string cookie(const std::string& value, bool clear) const {
    std::string c =
        std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
    if (options_.cookie_secure) c += "; Secure";
    if (clear) c += "; Max-Age=0";
    return c;
  }

  Response login(Request& req) {
    auto body = jsonBody(req);
    if (!body) return body.error();
    const auto cf = stringField(*body, "codice_fiscale");
    const auto pin = stringField(*body, "pin");
    const auto user = stringField(*body, "username");
    const auto password = stringField(*body, "password");
    if (!cf || !pin || !user || !password) return badRequest();
    Result<domain::LoginResult> result;
    if (!cf->empty()) {
      result = d_.auth.loginProfessional(*cf, *pin);
    } else if (!user->empty()) {
      result = d_.auth.loginStaff(*user, *password);
    } else {
      return Response::error(422, "invalid_credentials",
                             "Inserire codice fiscale e PIN, oppure nome utente e password.");
    }
    if (!result) {
      if (result.error().code == ErrorCode::kInternal ||
          result.error().code == ErrorCode::kUnavailable) {
        log::error("login_error", {{"detail", result.error().detail}});
      }
      return Response::fromError(result.error());
    }
    // A session cookie the browser still had is ended: one browser, one session.
    if (auto old = req.cookie(kSessionCookie)) {
      if (auto s = d_.auth.authenticate(*old)) (void)d_.auth.logout(*s);
    }
    log::info("login", {{"role", std::string(domain::roleName(result->session.role))}});
    Response res = Response::json(200, sessionJson(result->session));
    res.header("Set-Cookie", cookie(result->token, false));
    return res;
  }

  Response currentSession(Request& req) {
    auto s = guard(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    json body = sessionJson(*s);
    // Communications arrive with their own issue; until then nothing is unread.
    body["unread"] = 0;
    return Response::json(200, body);
  }

  Response logout(Request& req) {
    auto s = guard(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    if (auto st = d_.auth.logout(*s); !st) return internal(st.error());
    Response res = Response::json(200, {{"status", "logged_out"}});
    res.header("Set-Cookie", cookie("", true));
    // Asks the browser to drop this origin's caches and storage too.
    res.header("Clear-Site-Data", "\"cache\", \"storage\"");
    return res;
  }

  Response topics(Request& req) {
    auto s = guard(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    json list = json::array();
    for (const auto& t : kiosk::topics()) list.push_back({{"code", t.code}, {"label", t.label}});
    return Response::json(200, list);
  }

  static json contactsJson(const domain::ContactsVersion& v) {
    return {{"pec", v.contacts.pec},     {"email", v.contacts.email}, {"mobile", v.contacts.mobile},
            {"phone", v.contacts.phone}, {"fax", v.contacts.fax},     {"notify", v.contacts.notify},
            {"version", v.version}};
  }

  Response getContacts(Request& req) {
    auto s = guard(req, {Role::kProfessional});
    if (!s) return s.error();
    auto v = d_.contacts.current(s->subject_id);
    if (!v) return internal(v.error());
    return Response::json(200, contactsJson(*v));
  }

  Response putContacts(Request& req) {
    auto s = guard(req, {Role::kProfessional});
    if (!s) return s.error();
    auto body = jsonBody(req);
    if (!body) return body.error();
    domain::ContactsInput in;
    for (auto [key, field] :
         {std::pair{"pec", &in.pec}, std::pair{"email", &in.email}, std::pair{"mobile", &in.mobile},
          std::pair{"phone", &in.phone}, std::pair{"fax", &in.fax}}) {
      auto value = stringField(*body, key);
      if (!value) return badRequest();
      *field = std::move(*value);
    }
    if (auto it = body->find("notify"); it != body->end() && !it->is_null()) {
      if (!it->is_array()) return badRequest();
      in.notify.emplace();
      for (const auto& channel : *it) {
        if (!channel.is_string()) return badRequest();
        in.notify->push_back(channel.get<std::string>());
      }
    }
    if (auto it = body->find("version"); it != body->end() && !it->is_null()) {
      if (!it->is_number_integer()) return badRequest();
      in.version = it->get<int>();
    }
    auto saved =
        d_.contacts.update(s->subject_id, in, "professional:" + std::to_string(s->subject_id));
    if (!saved) return errorResponse(saved.error());
    return Response::json(200, contactsJson(*saved));
  }

  Response unlock(Request& req) {
    auto s = guard(req, {Role::kStaff});
    if (!s) return s.error();
    const std::string cf = req.params["codice_fiscale"];
    auto st = d_.auth.unlockProfessional(cf, *s);
    if (!st) return errorResponse(st.error());
    return Response::json(200, {{"codice_fiscale", cf}, {"unlocked", true}});
  }

  Response healthz(Request&) {
    if (auto st = d_.store.ping(); !st) {
      log::error("healthz_database", {{"detail", st.error().detail}});
      return Response::error(503, "database_unavailable", "Archivio dati non disponibile.");
    }
    return Response::json(200, {{"status", "ok"}, {"database", "ok"}});
  }

  Response metrics(Request&) {
    std::int64_t locked = -1;
    if (auto tx = d_.store.begin(domain::TxMode::kRead)) {
      if (auto n = (*tx)->countLockedAccounts(d_.clock.nowSeconds())) locked = *n;
    }
    Response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = d_.metrics.render(locked);
    return res;
  }

  Response home(Request&) {
    Response res;
    res.content_type = "text/html; charset=utf-8";
    res.body = "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>" +
               options_.kiosk_name + "</title></head><body><h1>" + options_.kiosk_name +
               "</h1><p>Comunicazione Bidirezionale INPS – Gestione Separata.</p></body></html>";
    return res;
  }

 private:
  Response internal(const Error& e) {
    log::error("internal_error", {{"reason", e.reason}, {"detail", e.detail}});
    return Response::fromError(e);
  }
  Response errorResponse(const Error& e) {
    if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kUnavailable) return internal(e);
    return Response::fromError(e);
  }

  ApiDeps d_;
  ApiOptions options_;
};

}  // namespace

void registerApi(Router& router, ApiDeps deps, ApiOptions options) {
  auto h = std::make_shared<Handlers>(deps, std::move(options));
  auto bind = [h](Response (Handlers::*fn)(Request&)) {
    return [h, fn](Request& req) { return ((*h).*fn)(req); };
  };
  router.add("GET", "/", bind(&Handlers::home));
  router.add("GET", "/healthz", bind(&Handlers::healthz));
  router.add("GET", "/metrics", bind(&Handlers::metrics));
  router.add("POST", "/api/session", bind(&Handlers::login));
  router.add("GET", "/api/session", bind(&Handlers::currentSession));
  router.add("DELETE", "/api/session", bind(&Handlers::logout));
  router.add("GET", "/api/topics", bind(&Handlers::topics));
  router.add("GET", "/api/contacts", bind(&Handlers::getContacts));
  router.add("PUT", "/api/contacts", bind(&Handlers::putContacts));
  router.add("POST", "/api/staff/professionals/{codice_fiscale}/unlock", bind(&Handlers::unlock));
}

}  // namespace kiosk::http
