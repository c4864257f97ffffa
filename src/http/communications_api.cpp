// The communications routes of CONTRACT.md: the professional's side, the
// Institute's side (staff) and attachment downloads.
#include <charconv>

#include "core/rome_time.h"
#include "core/topics.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace kiosk::http {
namespace {

using domain::Role;
using domain::Session;
using nlohmann::json;

json attachmentJson(const domain::AttachmentMeta& a) {
  return {{"id", a.id},
          {"filename", a.filename},
          {"content_type", a.content_type},
          {"size", a.size},
          {"sha256", a.sha256}};
}

json summaryJson(const domain::Communication& c, bool for_staff) {
  const Topic* topic = findTopic(c.topic);
  json j = {{"id", c.id},
            {"protocol", c.protocol},
            {"box", domain::boxName(c.box)},
            {"topic", c.topic},
            {"topic_label", topic ? topic->label : c.topic},
            {"subject", c.subject},
            {"status", domain::statusName(c.status)},
            {"unread", c.unread},
            {"created_at", isoUtc(c.created_at)},
            {"updated_at", isoUtc(c.updated_at)}};
  if (for_staff) {
    j["codice_fiscale"] = c.codice_fiscale;
    j["professional_name"] = c.professional_name;
  }
  return j;
}

json messageJson(const domain::Message& m) {
  json files = json::array();
  for (const auto& a : m.attachments) files.push_back(attachmentJson(a));
  return {{"id", m.id},
          {"author", domain::authorName(m.author)},
          {"body", m.body},
          {"created_at", isoUtc(m.created_at)},
          {"attachments", files}};
}

json threadJson(const domain::ThreadView& t, bool for_staff) {
  json j = summaryJson(t.communication, for_staff);
  j["outcome"] = t.communication.outcome;
  j["extra_email"] = t.communication.extra_email;
  if (t.contacts) {
    const auto& c = t.contacts->contacts;
    j["contacts"] = {{"pec", c.pec},
                     {"email", c.email},
                     {"mobile", c.mobile},
                     {"phone", c.phone},
                     {"fax", c.fax},
                     {"notify", c.notify},
                     {"version", t.contacts->version}};
  } else {
    j["contacts"] = nullptr;
  }
  json messages = json::array();
  for (const auto& m : t.messages) messages.push_back(messageJson(m));
  j["messages"] = messages;
  return j;
}

json pageJson(const domain::CommPage& page, bool for_staff) {
  json items = json::array();
  for (const auto& c : page.items) items.push_back(summaryJson(c, for_staff));
  return {{"items", items}, {"total", page.total}};
}

std::optional<int> intParam(const Request& req, const char* name, int fallback, int min, int max) {
  auto v = req.queryParam(name);
  if (!v || v->empty()) return fallback;
  int n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < min || n > max) return std::nullopt;
  return n;
}

// Reads the list filters; a bad one is a 422 with its own code.
std::expected<domain::CommFilter, Response> listFilter(const Request& req, bool for_staff) {
  domain::CommFilter f;
  if (!for_staff) {
    const std::string box = req.queryParam("box").value_or("sent");
    if (box != "sent" && box != "received") {
      return std::unexpected(
          Response::error(422, "invalid_box", "Casella non valida: sent o received."));
    }
    f.box = box == "sent" ? domain::Box::kSent : domain::Box::kReceived;
  }
  if (auto s = req.queryParam("status"); s && !s->empty()) {
    f.status = domain::parseStatus(*s);
    if (!f.status) {
      return std::unexpected(
          Response::error(422, "invalid_status", "Stato non valido: aperta, in_carico o chiusa."));
    }
  }
  if (auto t = req.queryParam("topic"); t && !t->empty()) {
    if (!findTopic(*t)) {
      return std::unexpected(Response::error(422, "invalid_topic", "Argomento non valido."));
    }
    f.topic = *t;
  }
  if (auto u = req.queryParam("unread"); u && !u->empty()) {
    if (*u != "true" && *u != "false" && *u != "1" && *u != "0") {
      return std::unexpected(
          Response::error(422, "invalid_unread", "Filtro «non letti» non valido: true o false."));
    }
    f.unread = *u == "true" || *u == "1";
  }
  auto page = intParam(req, "page", 1, 1, 1'000'000);
  auto per_page = intParam(req, "per_page", 20, 1, 100);
  if (!page || !per_page) {
    return std::unexpected(
        Response::error(422, "invalid_page", "Pagina non valida: page da 1, per_page da 1 a 100."));
  }
  f.page = *page;
  f.per_page = *per_page;
  if (for_staff) f.q = req.queryParam("q").value_or("");
  return f;
}

std::vector<domain::IncomingFile> attachmentsOf(Form& form) {
  std::vector<domain::IncomingFile> files;
  for (auto& f : form.files) {
    if (f.field == "attachments") files.push_back({std::move(f.filename), std::move(f.data)});
  }
  return files;
}

// RFC 6266/5987: an ASCII fallback and the UTF-8 name percent-encoded.
std::string contentDisposition(const std::string& filename) {
  std::string ascii;
  std::string encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    // One '_' in the ASCII fallback per non-ASCII character (its lead byte).
    if (plain || c == ' ') {
      ascii.push_back(static_cast<char>(c));
    } else if ((c & 0xC0) != 0x80) {
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
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

class CommHandlers {
 public:
  explicit CommHandlers(ApiDeps deps) : d_(deps), guard_(deps.auth) {}

  // --- professional ------------------------------------------------------

  Response list(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    auto filter = listFilter(req, false);
    if (!filter) return filter.error();
    auto page = d_.communications.list(*s, *filter);
    if (!page) return errorResponse(page.error());
    return Response::json(200, pageJson(*page, false));
  }

  Response send(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    auto form = readForm(req);
    if (!form) return form.error();
    domain::SendInput in;
    in.topic = form->field("topic");
    in.subject = form->field("subject");
    in.body = form->field("body");
    in.extra_email = form->field("extra_email");
    in.idempotency_key = form->field("idempotency_key");
    in.attachments = attachmentsOf(*form);
    auto sent = d_.communications.send(*s, in);
    if (!sent) return errorResponse(sent.error());
    const auto& c = sent->communication;
    return Response::json(sent->replayed ? 200 : 201, {{"id", c.id},
                                                       {"protocol", c.protocol},
                                                       {"status", domain::statusName(c.status)},
                                                       {"created_at", isoUtc(c.created_at)}});
  }

  Response thread(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    auto t = d_.communications.open(*s, *id);
    if (!t) return errorResponse(t.error());
    return Response::json(200, threadJson(*t, false));
  }

  Response addMessage(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    auto form = readForm(req);
    if (!form) return form.error();
    auto m = d_.communications.addMessage(*s, *id, {form->field("body"), attachmentsOf(*form)});
    if (!m) return errorResponse(m.error());
    return Response::json(201, messageJson(*m));
  }

  Response download(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Allegato non trovato."));
    auto f = d_.communications.attachment(*s, *id);
    if (!f) return errorResponse(f.error());
    Response res;
    res.content_type = f->meta.content_type;
    res.body = std::move(f->data);
    res.header("Content-Disposition", contentDisposition(f->meta.filename));
    return res;
  }

  // --- staff -------------------------------------------------------------

  Response queue(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto filter = listFilter(req, true);
    if (!filter) return filter.error();
    auto page = d_.communications.queue(*s, *filter);
    if (!page) return errorResponse(page.error());
    return Response::json(200, pageJson(*page, true));
  }

  Response staffThread(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    auto t = d_.communications.staffOpen(*s, *id);
    if (!t) return errorResponse(t.error());
    return Response::json(200, threadJson(*t, true));
  }

  Response take(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    auto c = d_.communications.take(*s, *id);
    if (!c) return errorResponse(c.error());
    return Response::json(200, summaryJson(*c, true));
  }

  Response reply(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    auto form = readForm(req);
    if (!form) return form.error();
    auto m = d_.communications.reply(*s, *id, {form->field("body"), attachmentsOf(*form)});
    if (!m) return errorResponse(m.error());
    return Response::json(201, messageJson(*m));
  }

  Response close(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    auto body = jsonBody(req);
    if (!body) return body.error();
    auto outcome = stringField(*body, "outcome");
    if (!outcome) return badRequest();
    auto c = d_.communications.close(*s, *id, *outcome);
    if (!c) return errorResponse(c.error());
    json j = summaryJson(*c, true);
    j["outcome"] = c->outcome;
    return Response::json(200, j);
  }

  Response writeFirst(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto form = readForm(req);
    if (!form) return form.error();
    domain::SendInput in;
    in.topic = form->field("topic");
    in.subject = form->field("subject");
    in.body = form->field("body");
    in.attachments = attachmentsOf(*form);
    auto c = d_.communications.writeFirst(*s, form->field("codice_fiscale"), in);
    if (!c) return errorResponse(c.error());
    return Response::json(201, summaryJson(*c, true));
  }

 private:
  static std::expected<Form, Response> readForm(Request& req) {
    if (!req.read_form) return std::unexpected(unsupportedMediaType("multipart/form-data"));
    auto form = req.read_form(FormLimits{});
    if (!form) return std::unexpected(Response::fromError(form.error()));
    return std::move(*form);
  }

  ApiDeps d_;
  Guard guard_;
};

}  // namespace

void registerCommunicationRoutes(Router& router, ApiDeps deps) {
  auto h = std::make_shared<CommHandlers>(deps);
  auto bind = [h](Response (CommHandlers::*fn)(Request&)) {
    return [h, fn](Request& req) { return ((*h).*fn)(req); };
  };
  router.add("GET", "/api/communications", bind(&CommHandlers::list));
  router.add("POST", "/api/communications", bind(&CommHandlers::send));
  router.add("GET", "/api/communications/{id}", bind(&CommHandlers::thread));
  router.add("POST", "/api/communications/{id}/messages", bind(&CommHandlers::addMessage));
  router.add("GET", "/api/attachments/{id}", bind(&CommHandlers::download));
  router.add("GET", "/api/staff/communications", bind(&CommHandlers::queue));
  router.add("POST", "/api/staff/communications", bind(&CommHandlers::writeFirst));
  router.add("GET", "/api/staff/communications/{id}", bind(&CommHandlers::staffThread));
  router.add("POST", "/api/staff/communications/{id}/take", bind(&CommHandlers::take));
  router.add("POST", "/api/staff/communications/{id}/messages", bind(&CommHandlers::reply));
  router.add("POST", "/api/staff/communications/{id}/close", bind(&CommHandlers::close));
}

}  // namespace kiosk::http
