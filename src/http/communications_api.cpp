// The communications routes of CONTRACT.md: the professional's side, the
// Institute's side (staff) and attachment downloads.
#include <algorithm>
#include <charconv>

#include "core/json_writer.h"
#include "core/log.h"
#include "core/rome_time.h"
#include "core/topics.h"
#include "domain/attachments.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace kiosk::http {
namespace {

using domain::Role;
using domain::Session;
using nlohmann::json;

// The hot answers (lists, threads) are written straight into the body.
void writeAttachment(JsonWriter& w, const domain::AttachmentMeta& a) {
  w.beginObject()
      .field("id", a.id)
      .field("filename", a.filename)
      .field("content_type", a.content_type)
      .field("size", a.size)
      .field("sha256", a.sha256)
      .endObject();
}

// The fields of a thread in a list, without the closing brace.
void writeSummaryFields(JsonWriter& w, const domain::Communication& c, bool for_staff) {
  const Topic* topic = findTopic(c.topic);
  w.beginObject()
      .field("id", c.id)
      .field("protocol", c.protocol)
      .field("box", domain::nameOf(c.box))
      .field("topic", c.topic)
      .field("topic_label", topic ? topic->label : std::string_view(c.topic))
      .field("subject", c.subject)
      .field("status", domain::nameOf(c.status))
      .field("unread", c.unread)
      .field("created_at", isoUtcChars(c.created_at).view())
      .field("updated_at", isoUtcChars(c.updated_at).view());
  if (for_staff) {
    w.field("codice_fiscale", c.codice_fiscale)
        .field("professional_name", c.professional_name)
        .field("professional_wrote_last", c.professional_wrote_last);
  }
}

void writeMessage(JsonWriter& w, const domain::Message& m) {
  w.beginObject()
      .field("id", m.id)
      .field("author", domain::nameOf(m.author))
      .field("body", m.body)
      .field("created_at", isoUtcChars(m.created_at).view())
      .key("attachments")
      .beginArray();
  for (const auto& a : m.attachments) writeAttachment(w, a);
  w.endArray().endObject();
}

Response summaryResponse(int status, const domain::Communication& c, bool with_outcome) {
  std::string body;
  JsonWriter w(body);
  writeSummaryFields(w, c, true);
  if (with_outcome) w.field("outcome", c.outcome);
  w.endObject();
  return Response::rawJson(status, std::move(body));
}

Response messageResponse(const domain::Message& m) {
  std::string body;
  JsonWriter w(body);
  writeMessage(w, m);
  return Response::rawJson(201, std::move(body));
}

std::string threadBody(const domain::ThreadView& t, bool for_staff) {
  std::string body;
  body.reserve(1024);
  JsonWriter w(body);
  writeSummaryFields(w, t.communication, for_staff);
  w.field("outcome", t.communication.outcome).field("extra_email", t.communication.extra_email);
  if (for_staff) w.field("assigned_to", t.assigned_to);
  w.key("contacts");
  if (t.contacts) {
    const auto& c = t.contacts->contacts;
    w.beginObject()
        .field("pec", c.pec)
        .field("email", c.email)
        .field("mobile", c.mobile)
        .field("phone", c.phone)
        .field("fax", c.fax)
        .field("notify", c.notify)
        .field("version", t.contacts->version)
        .endObject();
  } else {
    w.null();
  }
  w.key("messages").beginArray();
  for (const auto& m : t.messages) writeMessage(w, m);
  w.endArray().endObject();
  return body;
}

Response threadResponse(const domain::ThreadView& t, bool for_staff) {
  return Response::rawJson(200, threadBody(t, for_staff));
}

std::string pageBody(const domain::CommPage& page, bool for_staff) {
  std::string body;
  body.reserve(512 + page.items.size() * 320);
  JsonWriter w(body);
  w.beginObject().key("items").beginArray();
  for (const auto& c : page.items) {
    writeSummaryFields(w, c, for_staff);
    w.endObject();
  }
  w.endArray().field("total", page.total);
  if (for_staff) w.field("total_capped", page.total_capped);
  w.endObject();
  return body;
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
    // "all": both boxes, for the "Da leggere" view of every unread thread.
    const std::string box = req.queryParam("box").value_or("sent");
    if (box != "sent" && box != "received" && box != "all") {
      return std::unexpected(
          Response::error(422, "invalid_box", "Casella non valida: sent, received o all."));
    }
    if (box != "all") f.box = box == "sent" ? domain::Box::kSent : domain::Box::kReceived;
  }
  if (auto s = req.queryParam("status"); s && !s->empty()) {
    f.status = domain::parseName<domain::CommStatus>(*s);
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
  if (for_staff) {
    f.q = req.queryParam("q").value_or("");
    // A NUL or another control character cannot be part of what a clerk
    // searches for (a %00 used to end the search text and list everything).
    if (std::any_of(f.q.begin(), f.q.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      return std::unexpected(Response::error(
          400, "invalid_query", "Ricerca non valida: contiene caratteri di controllo."));
    }
  }
  return f;
}

std::vector<domain::IncomingFile> attachmentsOf(Form& form) {
  std::vector<domain::IncomingFile> files;
  for (auto& f : form.files) {
    if (f.field == "attachments") files.push_back({std::move(f.filename), std::move(f.data)});
  }
  return files;
}

class CommHandlers {
 public:
  explicit CommHandlers(CommDeps deps) : d_(deps), guard_(deps.auth) {}

  // --- professional ------------------------------------------------------

  Response list(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    auto filter = listFilter(req, false);
    if (!filter) return filter.error();
    auto answer = d_.communications.listAnswer(
        *s, *filter, [](const domain::CommPage& page) { return pageBody(page, false); });
    if (!answer) return errorResponse(answer.error());
    return Response::rawJson(200, **answer);
  }

  Response send(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional});
    if (!s) return s.error();
    auto form = readForm(req);
    if (!form) return form.error();
    domain::SendInput in = sendInput(*form);
    in.extra_email = form->field("extra_email");
    in.idempotency_key = form->field("idempotency_key");
    return respond(d_.communications.send(*s, std::move(in)), [](const domain::SendResult& sent) {
      const auto& c = sent.communication;
      return Response::json(sent.replayed ? 200 : 201, {{"id", c.id},
                                                        {"protocol", c.protocol},
                                                        {"status", domain::nameOf(c.status)},
                                                        {"created_at", isoUtc(c.created_at)}});
    });
  }

  Response thread(Request& req) {
    return onThread(req, Role::kProfessional, [&](const Session& s, std::int64_t id) {
      auto answer = d_.communications.openAnswer(
          s, id, [](const domain::ThreadView& t) { return threadBody(t, false); });
      if (!answer) return errorResponse(answer.error());
      return Response::rawJson(200, **answer);
    });
  }

  Response addMessage(Request& req) {
    return onThread(req, Role::kProfessional, [&](const Session& s, std::int64_t id) {
      auto form = readForm(req);
      if (!form) return form.error();
      return respond(
          d_.communications.addMessage(s, id, {form->field("body"), attachmentsOf(*form)}),
          messageResponse);
    });
  }

  Response download(Request& req) {
    auto f = attachmentRoute(req);
    if (!f) return f.error();
    return fileResponse(std::move(f->meta.content_type), std::move(f->data), f->meta.filename);
  }

  // POST /api/attachments/{id}/print: the owner or staff print it on the
  // kiosk's printer (PDFs and pictures); 202 with the job, 503 without a printer.
  Response printAttachment(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return s.error();
    auto f = attachmentOf(req, *s);
    if (!f) return f.error();
    if (auto refused = kioskScreenOnly(req)) return *refused;
    return respond(d_.receipt_desk.printAttachment(*s, *f), [](int job) {
      return Response::json(202, {{"status", "queued"}, {"job", job}});
    });
  }

  // --- staff -------------------------------------------------------------

  Response queue(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto filter = listFilter(req, true);
    if (!filter) return filter.error();
    auto answer = d_.communications.queueAnswer(
        *s, *filter, [](const domain::CommPage& page) { return pageBody(page, true); });
    if (!answer) return errorResponse(answer.error());
    return Response::rawJson(200, **answer);
  }

  Response staffThread(Request& req) {
    return onThread(req, Role::kStaff, [&](const Session& s, std::int64_t id) {
      return respond(d_.communications.staffOpen(s, id),
                     [](const domain::ThreadView& t) { return threadResponse(t, true); });
    });
  }

  Response take(Request& req) {
    return onThread(req, Role::kStaff, [&](const Session& s, std::int64_t id) {
      return respond(d_.communications.take(s, id),
                     [](const domain::Communication& c) { return summaryResponse(200, c, false); });
    });
  }

  Response reply(Request& req) {
    return onThread(req, Role::kStaff, [&](const Session& s, std::int64_t id) {
      auto form = readForm(req);
      if (!form) return form.error();
      return respond(d_.communications.reply(s, id, {form->field("body"), attachmentsOf(*form)}),
                     messageResponse);
    });
  }

  Response close(Request& req) {
    return onThread(req, Role::kStaff, [&](const Session& s, std::int64_t id) {
      auto body = jsonBody(req);
      if (!body) return body.error();
      auto outcome = stringField(*body, "outcome");
      if (!outcome) return badRequest();
      return respond(d_.communications.close(s, id, *outcome),
                     [](const domain::Communication& c) { return summaryResponse(200, c, true); });
    });
  }

  Response writeFirst(Request& req) {
    auto s = guard_.check(req, {Role::kStaff});
    if (!s) return s.error();
    auto form = readForm(req);
    if (!form) return form.error();
    return respond(
        d_.communications.writeFirst(*s, form->field("codice_fiscale"), sendInput(*form)),
        [](const domain::Communication& c) { return summaryResponse(201, c, false); });
  }

 private:
  // The attachment {id}, for its owner or staff; 404 for anything else.
  std::expected<domain::StoredFile, Response> attachmentRoute(Request& req) {
    auto s = guard_.check(req, {Role::kProfessional, Role::kStaff});
    if (!s) return std::unexpected(s.error());
    return attachmentOf(req, *s);
  }

  // The attachment of the route's id that session `s` may read; 404 otherwise.
  std::expected<domain::StoredFile, Response> attachmentOf(const Request& req,
                                                           const domain::Session& s) {
    auto id = idParam(req, "id");
    if (!id) return std::unexpected(errorResponse(Error::notFound("Allegato non trovato.")));
    auto f = d_.communications.attachment(s, *id);
    if (!f) return std::unexpected(errorResponse(f.error()));
    return std::move(*f);
  }

  // Runs `handle` with the session (checked for `role` and CSRF) and the
  // thread id of the route; 404 for an id that is not one.
  template <typename Handle>
  Response onThread(const Request& req, Role role, Handle&& handle) {
    auto s = guard_.check(req, {role});
    if (!s) return s.error();
    auto id = idParam(req, "id");
    if (!id) return errorResponse(Error::notFound("Comunicazione non trovata."));
    return handle(*s, *id);
  }

  // The fields a new thread has from either side.
  static domain::SendInput sendInput(Form& form) {
    domain::SendInput in;
    in.topic = form.field("topic");
    in.subject = form.field("subject");
    in.body = form.field("body");
    in.attachments = attachmentsOf(form);
    return in;
  }

  static std::expected<Form, Response> readForm(Request& req) {
    if (!req.read_form) return std::unexpected(unsupportedMediaType("multipart/form-data"));
    auto form = req.read_form(FormLimits{});
    if (!form) return std::unexpected(errorResponse(form.error()));
    return std::move(*form);
  }

  CommDeps d_;
  Guard guard_;
};

}  // namespace

void registerCommunicationRoutes(Router& router, CommDeps deps) {
  auto h = std::make_shared<CommHandlers>(deps);
  auto bind = [h](Response (CommHandlers::*fn)(Request&)) { return bindTo(h, fn); };
  router.add("GET", "/api/communications", bind(&CommHandlers::list));
  router.add("POST", "/api/communications", bind(&CommHandlers::send));
  router.add("GET", "/api/communications/{id}", bind(&CommHandlers::thread));
  router.add("POST", "/api/communications/{id}/messages", bind(&CommHandlers::addMessage));
  router.add("GET", "/api/attachments/{id}", bind(&CommHandlers::download));
  router.add("POST", "/api/attachments/{id}/print", bind(&CommHandlers::printAttachment));
  router.add("GET", "/api/staff/communications", bind(&CommHandlers::queue));
  router.add("POST", "/api/staff/communications", bind(&CommHandlers::writeFirst));
  router.add("GET", "/api/staff/communications/{id}", bind(&CommHandlers::staffThread));
  router.add("POST", "/api/staff/communications/{id}/take", bind(&CommHandlers::take));
  router.add("POST", "/api/staff/communications/{id}/messages", bind(&CommHandlers::reply));
  router.add("POST", "/api/staff/communications/{id}/close", bind(&CommHandlers::close));
}

}  // namespace kiosk::http
