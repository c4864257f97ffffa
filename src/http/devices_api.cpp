// Devices: scanning (SANE), files from a USB stick, and their state.
#include "core/log.h"
#include "domain/attachments.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace kiosk::http {
namespace {

using domain::Role;
using nlohmann::json;

// Why a file on the stick is listed but cannot be attached, as the person reads it.
std::string refusedReason(const std::string& code) {
  if (code == "empty") return "Il documento è vuoto.";
  if (code == "too_large") return "Supera la dimensione massima di 1 MB.";
  return "Tipo di documento non ammesso: " + domain::allowedExtensions() + ".";
}

class DeviceHandlers {
 public:
  explicit DeviceHandlers(ApiDeps deps) : d_(deps), guard_(deps.auth) {}

  // POST /api/scan {"pages": N, "ask": bool}: the scanned document, ready to
  // attach. With "ask", the scan pauses after each page until POST
  // /api/scan/next or /api/scan/finish (GET /api/scan/progress says when).
  Response scan(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
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
    if (pages < 1 || pages > 10) {
      return Response::error(422, "invalid_pages", "Si possono scansionare da 1 a 10 pagine.");
    }
    auto doc = d_.scanner.scan(pages, ask);
    if (!doc) {
      if (!doc.error().detail.empty()) log::warn("scan_failed", {{"detail", doc.error().detail}});
      return Response::fromError(doc.error());
    }
    log::info("scanned",
              {{"pages", std::to_string(doc->pages)}, {"bytes", std::to_string(doc->data.size())}});
    Response res;
    res.content_type = doc->content_type;
    res.body = std::move(doc->data);
    res.header("Content-Disposition", contentDisposition("attachment", doc->filename));
    res.header("X-Scan-Pages", std::to_string(doc->pages));
    return res;
  }

  Response cancelScan(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    d_.scanner.cancel();
    return Response::json(202, {{"status", "cancelling"}});
  }

  Response scanProgress(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    const auto p = d_.scanner.progress();
    return Response::json(200,
                          {{"scanning", p.scanning}, {"pages", p.pages}, {"waiting", p.waiting}});
  }

  // The person's answer to "Pagina successiva?".
  Response scanAnswer(Request& req, bool more) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    if (!d_.scanner.progress().waiting) {
      return Response::error(409, "scan_not_waiting", "Nessuna scansione attende una risposta.");
    }
    more ? d_.scanner.next() : d_.scanner.finish();
    return Response::json(202, {{"status", more ? "scanning" : "finishing"}});
  }

  Response usbList(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    auto files = d_.usb.list();
    if (!files) return Response::fromError(files.error());
    json items = json::array();
    for (const auto& f : *files) {
      json item = {{"name", f.name},
                   {"size", f.size},
                   {"content_type", f.content_type},
                   {"too_large", f.too_large},
                   {"refused", f.refused.empty() ? json(nullptr) : json(f.refused)}};
      if (!f.refused.empty()) item["reason"] = refusedReason(f.refused);
      items.push_back(std::move(item));
    }
    return Response::json(200, {{"items", items}});
  }

  Response usbFile(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    const std::string name = req.params["name"];
    auto doc = d_.usb.read(name);
    if (!doc) return Response::fromError(doc.error());
    const std::string base = name.substr(name.rfind('/') + 1);
    Response res;
    res.content_type = std::move(doc->content_type);
    res.body = std::move(doc->data);
    res.header("Content-Disposition",
               contentDisposition("attachment", domain::cleanFilename(base)));
    return res;
  }

  Response devices(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff, Role::kTechnician});
    if (!s) return s.error();
    const bool tech = s->role == Role::kTechnician;
    auto device = [tech](const domain::DeviceState& st) {
      json j = {{"status", st.status}};
      if (tech) j["detail"] = st.detail;  // queue names and paths are for technicians
      return j;
    };
    return Response::json(200, {{"printer", device(d_.printer.state())},
                                {"scanner", device(d_.scanner.state())},
                                {"usb", device(d_.usb.state())}});
  }

 private:
  ApiDeps d_;
  Guard guard_;
};

}  // namespace

void registerDeviceRoutes(Router& router, ApiDeps deps) {
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
