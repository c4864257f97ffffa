#include "http/api.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include "core/log.h"
#include "core/rome_time.h"
#include "core/topics.h"
#include "http/handler_util.h"
#include "http/login_gate.h"

namespace kiosk::http {
namespace {

using domain::Role;
using domain::Session;
using nlohmann::json;

constexpr std::string_view kCardScreenOnly =
    "La carta si legge solo dal lettore del chiosco, sul suo schermo.";
constexpr std::string_view kSpeechScreenOnly = "La voce del chiosco si ascolta solo al chiosco.";

class Handlers {
 public:
  Handlers(ApiDeps deps, ApiOptions options)
      : d_(deps),
        options_(std::move(options)),
        guard_(deps.auth),
        logins_(options_.login_attempts_per_minute, options_.concurrent_logins) {}

  std::expected<Session, Response> guard(const Request& req, std::initializer_list<Role> roles) {
    return guard_.check(req, roles);
  }

  json sessionJson(const Session& s) const {
    return {{"role", domain::nameOf(s.role)},
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

  // A slot for one argon2id check (login or new PIN), per client and in all;
  // else 429 with Retry-After, or 503. A branch PC counts as one client; the
  // kiosk's own screen, shared by whoever stands at it, counts per account
  // tried (`subject`), so that one person's tries never make the next wait
  // (the account lock guards each account, the concurrency bound the box).
  std::expected<LoginGate::Ticket, Response> admit(const Request& req, std::string_view subject) {
    int retry_after = 0;
    std::string key = req.client.empty() ? req.remote_addr : req.client;
    if (req.fromKioskScreen()) {
      std::string who(subject.substr(0, 64));
      std::transform(who.begin(), who.end(), who.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      key += "|" + who;
    }
    auto ticket = logins_.admit(key, retry_after);
    if (!ticket) {
      Response refused = Response::fromError(ticket.error());
      if (retry_after > 0) refused.header("Retry-After", std::to_string(retry_after));
      return std::unexpected(std::move(refused));
    }
    return std::move(*ticket);
  }

  Response login(Request& req) {
    auto body = jsonBody(req);
    if (!body) return body.error();
    const auto cf = stringField(*body, "codice_fiscale");
    const auto pin = stringField(*body, "pin");
    const auto user = stringField(*body, "username");
    const auto password = stringField(*body, "password");
    if (!cf || !pin || !user || !password) return badRequest();
    if (!cf->empty() && !options_.pin_login) return pinLoginDisabled();
    auto ticket = admit(req, cf->empty() ? "staff:" + *user : *cf);
    if (!ticket) return ticket.error();
    Result<domain::LoginResult> result;
    if (!cf->empty()) {
      result = d_.auth.loginProfessional(*cf, *pin);
    } else if (!user->empty()) {
      result = d_.auth.loginStaff(*user, *password);
    } else {
      return Response::error(422, "invalid_credentials",
                             "Inserisca codice fiscale e PIN, oppure nome utente e password.");
    }
    if (!result) return errorResponse(result.error());
    return loggedIn(req, *result, "pin");
  }

  // The answer to a login that succeeded: the session's cookie.
  Response loggedIn(const Request& req, const domain::LoginResult& result, const char* how) {
    // A session cookie the browser still had is ended: one browser, one session.
    if (auto old = req.cookie(kSessionCookie)) {
      if (auto s = d_.auth.authenticate(*old)) (void)d_.auth.logout(*s);
    }
    log::info("login", {{"role", std::string(domain::nameOf(result.session.role))}, {"with", how}});
    d_.sources.sessionStarted(result.session.token_hash);
    Response res = Response::json(200, sessionJson(result.session));
    res.header("Set-Cookie", cookie(result.token, false));
    return res;
  }

  static Response pinLoginDisabled() {
    return Response::error(403, "pin_login_disabled",
                           "In questa sede si accede con la carta d'identità elettronica o la "
                           "tessera sanitaria: inserisca la carta nel lettore.");
  }

  // GET /api/card: the reader as the welcome screen shows it. The kiosk's
  // own screen only: the reader is the kiosk's device.
  Response card(Request& req) {
    if (auto refused = kioskScreenOnly(req, kCardScreenOnly)) return *refused;
    const auto st = d_.card_login.status();
    return Response::json(200, {{"configured", st.configured},
                                {"reader", st.reader},
                                {"card", st.card},
                                {"pin_login", options_.pin_login}});
  }

  // POST /api/card/login {"pad", "pin"}: the card in the reader signs in its holder.
  Response cardLogin(Request& req) {
    if (auto refused = kioskScreenOnly(req, kCardScreenOnly)) return *refused;
    // The card PIN is taken out of the body before any JSON parser sees it
    // (a parser keeps copies in buffers nobody can wipe) and masked there;
    // the masked body is then checked as JSON. Every copy is wiped.
    std::string pin = takeSecret(req.body, "pin");
    auto wipe = [&] {
      sodium_memzero(req.body.data(), req.body.size());
      sodium_memzero(pin.data(), pin.size());
    };
    auto body = jsonBody(req);
    if (!body || !body->is_object() || !body->contains("pin") || !(*body)["pin"].is_string()) {
      wipe();
      return body ? badRequest() : body.error();
    }
    const auto st = d_.card_login.status();
    auto ticket = admit(req, "card:" + st.card_id);
    if (!ticket) {
      wipe();
      return ticket.error();
    }
    auto result = d_.card_login.login(pin);
    wipe();
    if (!result) {
      if (result.error().code == ErrorCode::kInternal) {
        log::error("login_error", {{"detail", result.error().detail}});
      }
      return Response::fromError(result.error());
    }
    return loggedIn(req, *result, "card");
  }

  // The value of `"key": "…"` in a JSON text (no escapes in it: a card PIN
  // is digits), copied out and overwritten in `text` with '*' of the same
  // length. "" when not found so.
  static std::string takeSecret(std::string& text, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\"";
    for (auto at = text.find(quoted); at != std::string::npos; at = text.find(quoted, at + 1)) {
      std::size_t i = at + quoted.size();
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
      if (i >= text.size() || text[i] != ':') continue;
      ++i;
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
      if (i >= text.size() || text[i] != '"') continue;
      const std::size_t begin = ++i;
      while (i < text.size() && text[i] != '"' && text[i] != '\\' &&
             static_cast<unsigned char>(text[i]) >= 0x20) {
        ++i;
      }
      if (i >= text.size() || text[i] != '"') continue;
      std::string value(text, begin, i - begin);
      std::fill(text.begin() + static_cast<std::ptrdiff_t>(begin),
                text.begin() + static_cast<std::ptrdiff_t>(i), '*');
      return value;
    }
    return {};
  }

  // GET /api/speech: the voice and where it is heard.
  Response speechInfo(Request& req) {
    if (auto refused = kioskScreenOnly(req, kSpeechScreenOnly)) return *refused;
    return Response::json(
        200, {{"engine", d_.speech.engine()}, {"path", domain::nameOf(d_.speech.path())}});
  }

  // POST /api/speech {"text", "lang", "rate", "volume", "personal"}: WAV.
  Response speak(Request& req) {
    if (auto refused = kioskScreenOnly(req, kSpeechScreenOnly)) return *refused;
    auto body = jsonBody(req);
    if (!body) return body.error();
    domain::Utterance u;
    const auto text = stringField(*body, "text");
    const auto lang = stringField(*body, "lang");
    if (!text || !lang) return badRequest();
    u.text = *text;
    if (!lang->empty()) u.lang = *lang;
    for (auto [name, out] : {std::pair{"rate", &u.rate}, std::pair{"volume", &u.volume}}) {
      if (auto it = body->find(name); it != body->end() && !it->is_null()) {
        if (!it->is_number_integer()) return badRequest();
        *out = it->get<int>();
      }
    }
    if (auto it = body->find("personal"); it != body->end() && !it->is_null()) {
      if (!it->is_boolean()) return badRequest();
      u.personal = it->get<bool>();
    }
    auto wav = d_.speech.say(std::move(u));
    if (!wav) return Response::fromError(wav.error());
    Response res;
    res.content_type = "audio/wav";
    res.body = std::move(*wav);
    return res;
  }

  Response currentSession(Request& req) {
    auto s = guard(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    return respond(d_.communications.unreadCount(*s), [&](std::int64_t unread) {
      json body = sessionJson(*s);
      body["unread"] = unread;
      return Response::json(200, body);
    });
  }

  Response logout(Request& req) {
    auto s = guard(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    if (auto st = d_.auth.logout(*s); !st) return errorResponse(st.error());
    // A scan waiting for the next sheet ends with the person: the next one
    // finds the scanner free and nothing of theirs.
    if (s->role == Role::kProfessional) d_.sources.cancelScan();
    d_.sources.sessionEnded(s->token_hash);
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
    return respond(d_.contacts.current(s->subject_id), [](const domain::ContactsVersion& v) {
      return Response::json(200, contactsJson(v));
    });
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
    return respond(
        d_.contacts.update(s->subject_id, in, domain::actorOf(*s)),
        [](const domain::ContactsVersion& v) { return Response::json(200, contactsJson(v)); });
  }

  // Who a codice fiscale belongs to, for the counter to compare with the
  // identity document before unlocking: name and whether it is locked now.
  Response professional(Request& req) {
    auto s = guard(req, {Role::kStaff});
    if (!s) return s.error();
    return respond(d_.auth.lookupProfessional(req.params["codice_fiscale"]),
                   [](const domain::CounterLookup& p) {
                     return Response::json(200, {{"codice_fiscale", p.codice_fiscale},
                                                 {"name", p.name},
                                                 {"locked", p.locked},
                                                 {"failed_attempts", p.failed_attempts}});
                   });
  }

  Response unlock(Request& req) {
    auto s = guard(req, {Role::kStaff});
    if (!s) return s.error();
    const std::string& cf = req.params["codice_fiscale"];
    return respond(d_.auth.unlockProfessional(cf, *s),
                   Response::json(200, {{"codice_fiscale", cf}, {"unlocked", true}}));
  }

  // "Nuovo PIN": staff open the window after checking the identity document.
  Response startPinReset(Request& req) {
    auto s = guard(req, {Role::kStaff});
    if (!s) return s.error();
    return respond(d_.auth.startPinReset(req.params["codice_fiscale"], *s),
                   [](const domain::PinReset& r) {
                     log::info("pin_reset_started", {});
                     return Response::json(200, {{"codice_fiscale", r.codice_fiscale},
                                                 {"name", r.name},
                                                 {"code", r.code},
                                                 {"expires_at", isoUtc(r.until)}});
                   });
  }

  // The professional types the counter's one-time code and the new PIN twice
  // on the kiosk's own screen, without a session; nowhere else (a branch PC
  // could otherwise race the professional for the window). Rate-limited with
  // the logins: each try costs an argon2id check.
  Response setPin(Request& req) {
    if (auto refused = kioskScreenOnly(req,
                                       "Il nuovo PIN si imposta solo sullo schermo del chiosco, "
                                       "con il codice dato dallo sportello.")) {
      return *refused;
    }
    auto body = jsonBody(req);
    if (!body) return body.error();
    const auto cf = stringField(*body, "codice_fiscale");
    const auto code = stringField(*body, "code");
    const auto pin = stringField(*body, "pin");
    const auto again = stringField(*body, "pin_again");
    if (!cf || !code || !pin || !again) return badRequest();
    if (!options_.pin_login) return pinLoginDisabled();
    auto ticket = admit(req, "pin:" + *cf);
    if (!ticket) return ticket.error();
    if (auto st = d_.auth.setPinAtKiosk(*cf, *code, *pin, *again); !st) {
      return errorResponse(st.error());
    }
    log::info("pin_set_at_kiosk", {});
    return Response::json(200, {{"status", "pin_set"}});
  }

  // The UI's one page; its asset URLs carry the bundle hash.
  Response home(Request&) {
    auto page = d_.assets.load("app/index.html");
    if (!page) return Response::error(404, "not_found", "Pagina non trovata.");
    const std::string prefix = "/assets/" + d_.assets.hash();
    for (std::size_t at = page->find("{{ASSETS}}"); at != std::string::npos;
         at = page->find("{{ASSETS}}", at)) {
      page->replace(at, 10, prefix);
    }
    Response res;
    res.content_type = "text/html; charset=utf-8";
    res.body = std::move(*page);
    return res;
  }

  // Long cache only when the URL's hash is the current one (and not from disk).
  Response asset(Request& req) {
    const std::string& path = req.params["path"];
    auto data = d_.assets.load(path);
    if (!data) return Response::error(404, "not_found", "Risorsa non trovata.");
    Response res;
    res.content_type = Assets::contentType(path);
    res.body = std::move(*data);
    if (req.params["hash"] == d_.assets.hash() && !d_.assets.fromDisk()) {
      res.header("Cache-Control", "public, max-age=31536000, immutable");
    }
    return res;
  }

  // What the UI needs before anyone logs in; nothing personal.
  Response kiosk(Request& req) {
    json extensions = json::array();
    const std::string list = domain::allowedExtensions();
    for (std::size_t start = 0; start < list.size();) {
      auto end = list.find(", ", start);
      if (end == std::string::npos) end = list.size();
      extensions.push_back(list.substr(start, end - start));
      start = end + 2;
    }
    return Response::json(200, {{"branch_name", options_.branch_name},
                                {"kiosk_id", options_.kiosk_id},
                                {"idle_seconds", options_.idle_seconds},
                                {"countdown_seconds", options_.countdown_seconds},
                                {"session_idle_seconds", d_.auth.policy().idle_timeout_seconds},
                                {"max_attachments", domain::kMaxAttachments},
                                {"max_attachment_bytes", domain::kMaxAttachmentBytes},
                                {"allowed_extensions", extensions},
                                {"file_dialog", !req.fromKioskScreen()}});
  }

 private:
  ApiDeps d_;
  ApiOptions options_;
  Guard guard_;
  LoginGate logins_;
};

}  // namespace

void registerApi(Router& router, ApiDeps deps, ApiOptions options) {
  registerMonitoringRoutes(router, deps, options);
  auto h = std::make_shared<Handlers>(deps, std::move(options));
  auto bind = [h](Response (Handlers::*fn)(Request&)) { return bindTo(h, fn); };
  router.add("GET", "/", bind(&Handlers::home));
  router.add("GET", "/assets/{hash}/{*path}", bind(&Handlers::asset));
  router.add("GET", "/api/kiosk", bind(&Handlers::kiosk));
  router.add("POST", "/api/session", bind(&Handlers::login));
  router.add("GET", "/api/session", bind(&Handlers::currentSession));
  router.add("DELETE", "/api/session", bind(&Handlers::logout));
  router.add("GET", "/api/topics", bind(&Handlers::topics));
  router.add("GET", "/api/contacts", bind(&Handlers::getContacts));
  router.add("PUT", "/api/contacts", bind(&Handlers::putContacts));
  router.add("GET", "/api/staff/professionals/{codice_fiscale}", bind(&Handlers::professional));
  router.add("POST", "/api/staff/professionals/{codice_fiscale}/unlock", bind(&Handlers::unlock));
  router.add("POST", "/api/staff/professionals/{codice_fiscale}/pin-reset",
             bind(&Handlers::startPinReset));
  router.add("POST", "/api/pin", bind(&Handlers::setPin));
  router.add("GET", "/api/card", bind(&Handlers::card));
  router.add("GET", "/api/speech", bind(&Handlers::speechInfo));
  router.add("POST", "/api/speech", bind(&Handlers::speak));
  router.add("POST", "/api/card/login", bind(&Handlers::cardLogin));
  registerCommunicationRoutes(router, {deps.auth, deps.communications, deps.receipt_desk});
  registerReceiptRoutes(
      router, {deps.auth, deps.clock, deps.receipts, deps.receipt_desk, deps.wake_dispatcher});
  registerDeviceRoutes(router, {deps.auth, deps.sources, deps.monitor});
}

}  // namespace kiosk::http
