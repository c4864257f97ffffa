// Receipts: the PDF of a registered communication or message, printing it on
// the kiosk's printer, mailing it to the PEC, and the public verification page.
#include <charconv>

#include "core/log.h"
#include "core/rome_time.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace kiosk::http {
namespace {

using domain::Role;
using nlohmann::json;

std::string escapeHtml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

class ReceiptHandlers {
 public:
  explicit ReceiptHandlers(ReceiptDeps deps) : d_(deps), guard_(deps.auth) {}

  // GET …/receipt.pdf and …/messages/{mid}/receipt.pdf, for the owner or staff.
  Response pdf(Request& req, std::initializer_list<Role> roles) {
    auto s = guard_.check(req, roles);
    if (!s) return s.error();
    return respond(receiptOf(req, *s), [](domain::RenderedReceipt& r) {
      Response res;
      res.content_type = "application/pdf";
      res.header("Content-Disposition",
                 contentDisposition("inline", "ricevuta-" + r.protocol + ".pdf"));
      res.body = std::move(r.pdf);
      return res;
    });
  }

  // POST …/print with an optional {"message_id": N}: 202, or 503 printer_unavailable.
  Response print(Request& req, std::initializer_list<Role> roles) {
    auto s = guard_.check(req, roles);
    if (!s) return s.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    bool large = false;
    if (!req.body.empty()) {
      auto body = jsonBody(req);
      if (!body) return body.error();
      if (auto it = body->find("message_id"); it != body->end() && !it->is_null()) {
        if (!it->is_number_integer()) return badRequest();
        req.params["mid"] = std::to_string(it->get<std::int64_t>());
      }
      if (auto it = body->find("large_print"); it != body->end() && !it->is_null()) {
        if (!it->is_boolean()) return badRequest();
        large = it->get<bool>();
      }
    }
    auto where = receiptIds(req);
    if (!where) return errorResponse(where.error());
    return respond(d_.receipt_desk.print(*s, where->first, where->second, large), [](int job) {
      return Response::json(202, {{"status", "queued"}, {"job", job}});
    });
  }

  // POST …/receipt/pec with an optional {"message_id": N}: 202 {"status":
  // "queued", "to": PEC}; 422 pec_missing.
  Response mail(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    std::optional<std::int64_t> mid;
    if (!req.body.empty()) {
      auto body = jsonBody(req);
      if (!body) return body.error();
      if (auto it = body->find("message_id"); it != body->end() && !it->is_null()) {
        if (!it->is_number_integer()) return badRequest();
        mid = it->get<std::int64_t>();
      }
    }
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Ricevuta non trovata."));
    auto to = d_.receipts.mailReceipt(*s, *id, mid, d_.clock.nowSeconds());
    if (!to) {
      Response refused = errorResponse(to.error());
      if (to.error().reason == "receipt_recently_mailed") {
        refused.header("Retry-After", to.error().detail);  // the seconds left
      }
      return refused;
    }
    if (d_.wake_dispatcher) d_.wake_dispatcher();
    return Response::json(202, {{"status", "queued"}, {"to", *to}});
  }

  // The public verification page: valid or not, and the registration's
  // metadata; never the content, the name or the codice fiscale.
  Response verifyPage(Request& req) {
    const std::string record = req.queryParam("r").value_or("");
    std::string verdict;
    if (record.empty()) {
      verdict =
          "<p>Inserisca il codice di verifica stampato sulla ricevuta (il testo del codice "
          "QR).</p>";
    } else {
      auto check = d_.receipts.verify(record);
      if (!check) return errorResponse(check.error());
      if (check->valid) {
        verdict = "<h2 class=\"ok\">Ricevuta valida</h2><dl><dt>Protocollo</dt><dd>" +
                  escapeHtml(check->protocol) + "</dd><dt>Registrata il</dt><dd>" +
                  escapeHtml(romeDateTimeText(check->registered_at)) +
                  "</dd><dt>Argomento</dt><dd>" + escapeHtml(check->topic_label) +
                  "</dd><dt>Allegati</dt><dd>" + std::to_string(check->attachments) +
                  "</dd><dt>Sede e chiosco</dt><dd>" +
                  escapeHtml(check->branch_name + " · " + check->kiosk_id) + "</dd></dl>";
      } else {
        verdict =
            "<h2 class=\"ko\">Ricevuta NON valida</h2><p>" + escapeHtml(check->reason) + "</p>";
      }
    }
    Response res;
    res.content_type = "text/html; charset=utf-8";
    res.body =
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\"><title>Verifica ricevuta – Cassetto "
        "previdenziale</title></head><body><main><h1>Verifica di una ricevuta</h1>" +
        verdict +
        "<form method=\"get\" action=\"/verifica\"><label for=\"r\">Codice di verifica</label> "
        "<input id=\"r\" name=\"r\" size=\"60\" value=\"" +
        escapeHtml(record) +
        "\"> <button type=\"submit\">Verifica</button></form></main></body></html>";
    return res;
  }

 private:
  // The thread and, for a later message, its id, from the route.
  static Result<std::pair<std::int64_t, std::optional<std::int64_t>>> receiptIds(Request& req) {
    auto id = idParam(req, "id");
    if (!id) return fail(Error::notFound("Ricevuta non trovata."));
    std::optional<std::int64_t> mid;
    if (req.params.count("mid")) {
      mid = idParam(req, "mid");
      if (!mid) return fail(Error::notFound("Ricevuta non trovata."));
    }
    return std::pair{*id, mid};
  }

  Result<domain::RenderedReceipt> receiptOf(Request& req, const domain::Session& s) {
    auto where = receiptIds(req);
    const auto large = req.queryParam("large");
    if (!where) return fail(where.error());
    return d_.receipt_desk.pdf(s, where->first, where->second, large && *large == "1");
  }

  ReceiptDeps d_;
  Guard guard_;
};

}  // namespace

void registerReceiptRoutes(Router& router, ReceiptDeps deps) {
  auto h = std::make_shared<ReceiptHandlers>(deps);
  router.add("GET", "/api/communications/{id}/receipt.pdf",
             [h](Request& r) { return h->pdf(r, {Role::kProfessional}); });
  router.add("GET", "/api/communications/{id}/messages/{mid}/receipt.pdf",
             [h](Request& r) { return h->pdf(r, {Role::kProfessional}); });
  router.add("POST", "/api/communications/{id}/print",
             [h](Request& r) { return h->print(r, {Role::kProfessional}); });
  router.add("POST", "/api/communications/{id}/receipt/pec",
             [h](Request& r) { return h->mail(r); });
  router.add("GET", "/api/staff/communications/{id}/receipt.pdf",
             [h](Request& r) { return h->pdf(r, {Role::kStaff}); });
  router.add("GET", "/api/staff/communications/{id}/messages/{mid}/receipt.pdf",
             [h](Request& r) { return h->pdf(r, {Role::kStaff}); });
  router.add("POST", "/api/staff/communications/{id}/print",
             [h](Request& r) { return h->print(r, {Role::kStaff}); });
  router.add("GET", "/verifica", [h](Request& r) { return h->verifyPage(r); });
}

}  // namespace kiosk::http
