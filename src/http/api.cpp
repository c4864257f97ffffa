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

  // 200 when the kiosk can serve; else 503 naming the first part that
  // cannot (database, then storage, then clock), with its stable code.
  Response healthz(Request&) {
    const auto problem = d_.monitor.healthWithin(std::chrono::milliseconds(700));
    if (!problem) {
      return Response::json(200, {{"status", "ok"}, {"database", "ok"}, {"storage", "ok"}});
    }
    // Through the one error function (logged with its detail), always 503:
    // a health check reads the status, whatever the part.
    const Error& e = problem->error;
    switch (problem->part) {
      case domain::HealthPart::kDatabase:
        return errorResponse(
            Error::unavailable("database_unavailable", "Archivio dati non disponibile.")
                .withDetail(e.detail),
            nlohmann::json::object(), 503);
      case domain::HealthPart::kStorage:
        return errorResponse(
            e, {{"status", "unavailable"}, {"database", "ok"}, {"storage", e.reason}}, 503);
      case domain::HealthPart::kClock:
        break;
    }
    return errorResponse(
        e, {{"status", "unavailable"}, {"database", "ok"}, {"storage", "ok"}, {"clock", e.reason}},
        503);
  }

  Response metrics(Request& req) {
    // The box's own monitoring scrapes on loopback; through the TLS proxy
    // (which adds X-Forwarded-For) a logged-in technician, or the branch's
    // Prometheus with the scrape token.
    if (!req.fromKioskScreen() && !scrapeTokenGiven(req)) {
      if (auto s = guard(req, {Role::kTechnician}); !s) return s.error();
    }
    const auto locked = d_.monitor.lockedAccounts();
    Response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = d_.metrics.render(locked ? *locked : -1) + stateMetrics();
    return res;
  }

  bool scrapeTokenGiven(const Request& req) const {
    const std::string& token = options_.metrics_token;
    if (token.empty()) return false;
    const std::string given = req.header("Authorization");
    const std::string want = "Bearer " + token;
    return given.size() == want.size() &&
           sodium_memcmp(given.data(), want.data(), want.size()) == 0;
  }

  // What a technician's monitoring watches besides the counters: the build,
  // the outbox backlog, the free disk and each device.
  std::string stateMetrics() {
    std::string out =
        "# HELP kiosk_build_info The program's version.\n# TYPE kiosk_build_info gauge\n"
        "kiosk_build_info{version=\"" +
        options_.version + "\"} 1\n";
    out +=
        "# HELP kiosk_outbox_rows Notifications waiting (pending) or given up (failed).\n"
        "# TYPE kiosk_outbox_rows gauge\n";
    const auto backlog = d_.monitor.outboxBacklog();
    if (backlog) {
      out += "kiosk_outbox_rows{status=\"pending\"} " + std::to_string(backlog->pending) +
             "\nkiosk_outbox_rows{status=\"failed\"} " + std::to_string(backlog->failed) + "\n";
      out +=
          "# HELP kiosk_outbox_pending_rows Notifications waiting, by channel.\n"
          "# TYPE kiosk_outbox_pending_rows gauge\n";
      for (std::size_t i = 0; i < std::size(domain::kChannels); ++i) {
        out += "kiosk_outbox_pending_rows{channel=\"" +
               std::string(domain::nameOf(domain::kChannels[i])) + "\"} " +
               std::to_string(backlog->pending_by_channel[i]) + "\n";
      }
    }
    if (d_.channel_states) {
      out +=
          "# HELP kiosk_notify_channel_failing 1 while a channel's last try failed (its provider "
          "is down or silent; its worker backs off alone), 0 otherwise.\n"
          "# TYPE kiosk_notify_channel_failing gauge\n";
      std::string counts =
          "# HELP kiosk_notify_channel_consecutive_failures Failed tries in a row, by channel.\n"
          "# TYPE kiosk_notify_channel_consecutive_failures gauge\n";
      for (const auto& c : d_.channel_states()) {
        const std::string label = "{channel=\"" + std::string(domain::nameOf(c.channel)) + "\"} ";
        out += "kiosk_notify_channel_failing" + label + (c.consecutive_failures > 0 ? "1" : "0") +
               "\n";
        counts += "kiosk_notify_channel_consecutive_failures" + label +
                  std::to_string(c.consecutive_failures) + "\n";
      }
      out += counts;
    }
    if (auto free = d_.monitor.freeBytes()) {
      out +=
          "# HELP kiosk_disk_free_bytes Free space where the database lives.\n"
          "# TYPE kiosk_disk_free_bytes gauge\nkiosk_disk_free_bytes " +
          std::to_string(*free) + "\n";
    }
    // A device's state is a value, not a label: one series per device.
    std::string configured =
        "# HELP kiosk_device_configured 1 when the kiosk has the device, 0 otherwise.\n"
        "# TYPE kiosk_device_configured gauge\n";
    out +=
        "# HELP kiosk_device_ready 1 when the device is ready, 0 otherwise.\n"
        "# TYPE kiosk_device_ready gauge\n";
    for (const auto& [name, state] : d_.monitor.devices()) {
      const std::string label = "{device=\"" + std::string(name) + "\"} ";
      out += "kiosk_device_ready" + label + (state.ready() ? "1" : "0") + "\n";
      configured += "kiosk_device_configured" + label +
                    (state.status == domain::DeviceStatus::kNotConfigured ? "0" : "1") + "\n";
    }
    out += configured;
    // This kiosk's heartbeat and last self-test, from the fleet list.
    if (auto fleet = d_.monitor.fleet()) {
      for (const auto& f : *fleet) {
        if (!f.this_kiosk) continue;
        out +=
            "# HELP kiosk_heartbeat_timestamp_seconds When this kiosk last wrote its heartbeat.\n"
            "# TYPE kiosk_heartbeat_timestamp_seconds gauge\nkiosk_heartbeat_timestamp_seconds " +
            std::to_string(f.kiosk.last_seen) + "\n";
        out +=
            "# HELP kiosk_selftest_timestamp_seconds When the last self-test ran (0: never).\n"
            "# TYPE kiosk_selftest_timestamp_seconds gauge\nkiosk_selftest_timestamp_seconds " +
            std::to_string(f.kiosk.selftest_at) + "\n";
        out +=
            "# HELP kiosk_selftest_ok 1 when the last self-test passed, 0 otherwise.\n"
            "# TYPE kiosk_selftest_ok gauge\nkiosk_selftest_ok " +
            std::string(f.kiosk.selftest_at && f.kiosk.selftest_ok ? "1" : "0") + "\n";
      }
    }
    if (options_.last_backup) {
      out +=
          "# HELP kiosk_backup_timestamp_seconds When the newest backup was taken (0: none "
          "found in the backup folder).\n"
          "# TYPE kiosk_backup_timestamp_seconds gauge\nkiosk_backup_timestamp_seconds " +
          std::to_string(options_.last_backup()) + "\n";
    }
    out += processMetrics();
    if (d_.card_login.status().configured) {
      out +=
          "# HELP kiosk_card_ca_expiry_timestamp_seconds When the first CA of the card "
          "reader's bundle expires (0: the bundle cannot be read).\n"
          "# TYPE kiosk_card_ca_expiry_timestamp_seconds gauge\n"
          "kiosk_card_ca_expiry_timestamp_seconds " +
          std::to_string(d_.card_login.caExpiry()) + "\n";
    }
    return out;
  }

  // Technicians see and retry the notification outbox (recipients, not content).
  static json outboxJson(const domain::OutboxItem& o) {
    return {{"id", o.id},
            {"protocol", o.protocol},
            {"event", domain::nameOf(o.event)},
            {"channel", domain::nameOf(o.channel)},
            {"recipient", o.recipient},
            {"status", domain::nameOf(o.status)},
            {"attempts", o.attempts},
            {"last_error", o.last_error},
            {"created_at", isoUtc(o.created_at)},
            {"next_attempt_at", isoUtc(o.next_attempt_at)}};
  }

  Response outbox(Request& req) {
    auto s = guard(req, {Role::kTechnician});
    if (!s) return s.error();
    const std::string name = req.queryParam("status").value_or("");
    const auto status = domain::parseName<domain::OutboxStatus>(name);
    if (!name.empty() && !status) {
      return Response::error(422, "invalid_status", "Stato non valido: pending, sent o failed.");
    }
    return respond(d_.outbox.list(status, 200), [&](const std::vector<domain::OutboxItem>& rows) {
      json items = json::array();
      for (const auto& o : rows) items.push_back(outboxJson(o));
      return Response::json(200, {{"items", items}, {"channels", channelsJson()}});
    });
  }

  // Each channel's worker on this kiosk: "ok" (last try went out),
  // "failing" (the last tries failed: the provider is down or silent),
  // "idle" (nothing tried since the start), with its backlog on the database.
  json channelsJson() {
    json out = json::array();
    if (!d_.channel_states) return out;
    const auto backlog = d_.monitor.outboxBacklog();
    std::size_t i = 0;
    for (const auto& c : d_.channel_states()) {
      const char* state = c.consecutive_failures > 0 ? "failing"
                          : c.last_success > 0       ? "ok"
                                                     : "idle";
      out.push_back(
          {{"channel", domain::nameOf(c.channel)},
           {"state", state},
           {"pending", backlog ? json(backlog->pending_by_channel[i]) : json(nullptr)},
           {"consecutive_failures", c.consecutive_failures},
           {"last_error", c.consecutive_failures > 0 ? c.last_error : ""},
           {"last_success", c.last_success ? json(isoUtc(c.last_success)) : json(nullptr)},
           {"last_failure", c.last_failure ? json(isoUtc(c.last_failure)) : json(nullptr)}});
      ++i;
    }
    return out;
  }

  // Every kiosk on the database with its last heartbeat: on a shared
  // database a technician sees the branch's fleet from any desk. A kiosk
  // silent for more than three heartbeats (3 minutes) is "offline".
  Response kiosks(Request& req) {
    auto s = guard(req, {Role::kTechnician});
    if (!s) return s.error();
    auto fleet = d_.monitor.fleet();
    if (!fleet) return errorResponse(fleet.error());
    json items = json::array();
    for (const auto& [k, this_kiosk, state] : *fleet) {
      items.push_back({{"kiosk_id", k.kiosk_id},
                       {"this_kiosk", this_kiosk},
                       {"state", state},
                       {"branch_code", k.branch_code},
                       {"branch_name", k.branch_name},
                       {"version", k.version},
                       {"started_at", k.started_at ? json(isoUtc(k.started_at)) : json(nullptr)},
                       {"last_seen", k.last_seen ? json(isoUtc(k.last_seen)) : json(nullptr)},
                       {"audit_head", {{"id", k.head.id}, {"hash", k.head.hash}}},
                       {"devices", k.devices},
                       {"outbox_pending", k.outbox_pending},
                       {"outbox_failed", k.outbox_failed},
                       {"selftest",
                        {{"at", k.selftest_at ? json(isoUtc(k.selftest_at)) : json(nullptr)},
                         {"ok", k.selftest_ok},
                         {"summary", k.selftest_summary}}}});
    }
    return Response::json(200, {{"items", items}, {"database", d_.monitor.database()}});
  }

  // POST /api/technician/selftest: the self-test from the technician's
  // screen; recorded for the fleet list. 200 {"ok", "at", "checks": [{"part",
  // "configured", "ok", "detail"}]} whether or not every check passed.
  Response selftest(Request& req) {
    auto s = guard(req, {Role::kTechnician});
    if (!s) return s.error();
    auto r = d_.monitor.selftest(d_.provider_checks ? d_.provider_checks()
                                                    : std::vector<domain::SelftestCheck>{});
    if (!r) return errorResponse(r.error());
    json checks = json::array();
    for (const auto& c : r->checks) {
      checks.push_back(
          {{"part", c.part}, {"configured", c.configured}, {"ok", c.ok}, {"detail", c.detail}});
    }
    log::info("selftest_run", {{"by", s->principal}, {"ok", r->ok ? "true" : "false"}});
    return Response::json(200, {{"ok", r->ok}, {"at", isoUtc(r->at)}, {"checks", checks}});
  }

  Response retryOutbox(Request& req) {
    auto s = guard(req, {Role::kTechnician});
    if (!s) return s.error();
    std::int64_t id = 0;
    if (req.params.count("id")) {
      auto parsed = idParam(req, "id");
      if (!parsed) return Response::error(404, "not_found", "Notifica non trovata.");
      id = *parsed;
    }
    return respond(d_.outbox.retry(domain::actorOf(*s), id), [id](int n) {
      if (id != 0 && n == 0) {
        return Response::error(404, "not_found",
                               "Nessuna notifica non riuscita con questo numero.");
      }
      return Response::json(200, {{"retried", n}});
    });
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
  auto h = std::make_shared<Handlers>(deps, std::move(options));
  auto bind = [h](Response (Handlers::*fn)(Request&)) { return bindTo(h, fn); };
  router.add("GET", "/", bind(&Handlers::home));
  router.add("GET", "/assets/{hash}/{*path}", bind(&Handlers::asset));
  router.add("GET", "/api/kiosk", bind(&Handlers::kiosk));
  router.add("GET", "/api/technician/outbox", bind(&Handlers::outbox));
  router.add("GET", "/api/technician/kiosks", bind(&Handlers::kiosks));
  router.add("POST", "/api/technician/selftest", bind(&Handlers::selftest));
  router.add("POST", "/api/technician/outbox/retry", bind(&Handlers::retryOutbox));
  router.add("POST", "/api/technician/outbox/{id}/retry", bind(&Handlers::retryOutbox));
  router.add("GET", "/healthz", bind(&Handlers::healthz));
  router.add("GET", "/metrics", bind(&Handlers::metrics));
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
