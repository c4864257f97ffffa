// Monitoring and the technician's routes: /healthz, /metrics (the box
// itself, a technician, or Prometheus with the scrape token), the outbox and
// its retries, the fleet's kiosks and the self-test.
#include <sodium.h>

#include "core/log.h"
#include "core/rome_time.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace kiosk::http {
namespace {

using domain::Role;
using nlohmann::json;

class MonitoringHandlers {
 public:
  MonitoringHandlers(ApiDeps deps, ApiOptions options)
      : d_(std::move(deps)), options_(std::move(options)), guard_(d_.auth) {}

  std::expected<domain::Session, Response> guard(const Request& req,
                                                 std::initializer_list<Role> roles) {
    return guard_.check(req, roles);
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

 private:
  ApiDeps d_;
  ApiOptions options_;
  Guard guard_;
};

}  // namespace

void registerMonitoringRoutes(Router& router, ApiDeps deps, ApiOptions options) {
  auto h = std::make_shared<MonitoringHandlers>(std::move(deps), std::move(options));
  auto bind = [h](Response (MonitoringHandlers::*fn)(Request&)) { return bindTo(h, fn); };
  router.add("GET", "/api/technician/outbox", bind(&MonitoringHandlers::outbox));
  router.add("GET", "/api/technician/kiosks", bind(&MonitoringHandlers::kiosks));
  router.add("POST", "/api/technician/selftest", bind(&MonitoringHandlers::selftest));
  router.add("POST", "/api/technician/outbox/retry", bind(&MonitoringHandlers::retryOutbox));
  router.add("POST", "/api/technician/outbox/{id}/retry", bind(&MonitoringHandlers::retryOutbox));
  router.add("GET", "/healthz", bind(&MonitoringHandlers::healthz));
  router.add("GET", "/metrics", bind(&MonitoringHandlers::metrics));
}

}  // namespace kiosk::http
