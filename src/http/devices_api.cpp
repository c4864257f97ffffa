// Devices: scanning (SANE), files from a USB stick, and their state.
#include "core/log.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace kiosk::http {
namespace {

using domain::Role;
using nlohmann::json;

class DeviceHandlers {
 public:
  explicit DeviceHandlers(DeviceDeps deps) : d_(deps), guard_(deps.auth) {}

  // POST /api/scan {"pages": N, "ask": bool}: the scanned document, ready to
  // attach. With "ask", the scan pauses after each page until POST
  // /api/scan/next or /api/scan/finish (GET /api/scan/progress says when).
  Response scan(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    int pages = 1;
    bool ask = false;
    if (!req.body.empty()) {
      auto body = jsonBody(req);
      if (!body) return body.error();
      if (auto it = body->find("pages"); it != body->end() && !it->is_null()) {
        if (!it->is_number_integer()) return badRequest();
        pages = it->get<int>();
      }
      if (auto it = body->find("ask"); it != body->end() && !it->is_null()) {
        if (!it->is_boolean()) return badRequest();
        ask = it->get<bool>();
      }
    }
    return respond(d_.sources.scan(pages, ask), [](domain::SourcedDocument& doc) {
      log::info("scanned",
                {{"pages", std::to_string(doc.pages)}, {"bytes", std::to_string(doc.data.size())}});
      Response res = fileResponse(std::move(doc.content_type), std::move(doc.data), doc.filename);
      res.header("X-Scan-Pages", std::to_string(doc.pages));
      return res;
    });
  }

  Response cancelScan(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    d_.sources.cancelScan();
    return Response::json(202, {{"status", "cancelling"}});
  }

  Response scanProgress(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    const auto p = d_.sources.scanProgress();
    return Response::json(200,
                          {{"scanning", p.scanning}, {"pages", p.pages}, {"waiting", p.waiting}});
  }

  // The person's answer to "Pagina successiva?".
  Response scanAnswer(Request& req, bool more) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    return respond(d_.sources.answerScan(more),
                   Response::json(202, {{"status", more ? "scanning" : "finishing"}}));
  }

  Response usbList(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    return respond(
        d_.sources.usbFiles(s->token_hash), [](const std::vector<domain::UsbEntry>& entries) {
          json items = json::array();
          for (const auto& [f, reason] : entries) {
            json item = {{"name", f.name},
                         {"size", f.size},
                         {"content_type", f.content_type},
                         {"too_large", f.too_large},
                         {"refused", f.refused.empty() ? json(nullptr) : json(f.refused)}};
            if (!reason.empty()) item["reason"] = reason;
            items.push_back(std::move(item));
          }
          return Response::json(200, {{"items", items}});
        });
  }

  Response usbFile(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    return respond(
        d_.sources.usbFile(s->token_hash, req.params["name"]), [](domain::SourcedDocument& doc) {
          return fileResponse(std::move(doc.content_type), std::move(doc.data), doc.filename);
        });
  }

  Response devices(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    json body = json::object();
    for (const auto& [name, state] : d_.monitor.devices()) {
      json j = {{"status", domain::nameOf(state.status)}};
      // Queue names and paths are for technicians.
      if (s->role == Role::kTechnician) j["detail"] = state.detail;
      body[std::string(name)] = std::move(j);
    }
    return Response::json(200, body);
  }

 private:
  DeviceDeps d_;
  Guard guard_;
};

}  // namespace

void registerDeviceRoutes(Router& router, DeviceDeps deps) {
  auto h = std::make_shared<DeviceHandlers>(deps);
  auto bind = [h](Response (DeviceHandlers::*fn)(Request&)) { return bindTo(h, fn); };
  router.add("POST", "/api/scan", bind(&DeviceHandlers::scan));
  router.add("POST", "/api/scan/cancel", bind(&DeviceHandlers::cancelScan));
  router.add("GET", "/api/scan/progress", bind(&DeviceHandlers::scanProgress));
  router.add("POST", "/api/scan/next", [h](Request& r) { return h->scanAnswer(r, true); });
  router.add("POST", "/api/scan/finish", [h](Request& r) { return h->scanAnswer(r, false); });
  router.add("GET", "/api/usb/files", bind(&DeviceHandlers::usbList));
  router.add("GET", "/api/usb/files/{*name}", bind(&DeviceHandlers::usbFile));
  router.add("GET", "/api/devices", bind(&DeviceHandlers::devices));
}

}  // namespace kiosk::http
