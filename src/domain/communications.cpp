// CommunicationService, the professional's side and what both sides share
// (checks, the write of a change, the kept pages); the Institute's side is in
// communications_staff.cpp.
#include "domain/communications.h"

#include <algorithm>
#include <cstdio>

#include "core/rome_time.h"
#include "core/topics.h"
#include "core/utf8.h"
#include "core/validators.h"
#include "domain/communications_internal.h"

namespace kiosk::domain {
namespace {

constexpr std::size_t kMaxSubject = 150;
constexpr std::size_t kMaxBody = 10000;
constexpr std::size_t kMaxIdempotencyKey = 128;

// A single-line text: controls dropped, spaces trimmed.
std::string line(const std::string& raw) {
  return validate::trim(utf8::clean(raw, /*drop_controls=*/true, /*keep_newlines=*/false));
}

Result<std::string> checkBody(const std::string& raw) {
  const std::string body = text(raw);
  if (body.empty() || utf8::length(body) > kMaxBody) {
    return fail(Error::invalid("invalid_body",
                               "Il testo è obbligatorio e può avere al massimo 10.000 caratteri."));
  }
  return body;
}

}  // namespace

Error notFoundThread() { return Error::notFound("Comunicazione non trovata."); }

bool isStaff(const Session& s) { return s.role == Role::kStaff; }

// A multi-line text: controls but newlines and tabs dropped, CRLF made LF, trimmed.
std::string text(const std::string& raw) {
  std::string s;
  s.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      if (i + 1 < raw.size() && raw[i + 1] == '\n') continue;
      s.push_back('\n');
      continue;
    }
    s.push_back(raw[i]);
  }
  return validate::trim(utf8::clean(s, /*drop_controls=*/true, /*keep_newlines=*/true));
}

Error closedError() {
  return Error::conflict("closed",
                         "La comunicazione è chiusa: per un nuovo argomento invii una nuova "
                         "comunicazione.");
}

Error forbiddenError() {
  return {ErrorCode::kForbidden, "forbidden", "Operazione non consentita per questo profilo."};
}

std::string formatProtocol(const std::string& branch_code, int year, std::int64_t sequence) {
  char seq[24];
  std::snprintf(seq, sizeof seq, "%07lld", static_cast<long long>(sequence));
  return "INPS." + branch_code + "." + std::to_string(year) + "." + seq;
}

CommunicationService::CommunicationService(Store& store,
                                           const Clock& clock,
                                           FileSniffer& sniffer,
                                           CommOptions options)
    : store_(store), clock_(clock), sniffer_(sniffer), options_(std::move(options)) {}

Result<CommunicationService::Checked> CommunicationService::check(SendInput in,
                                                                  bool with_extra_email) {
  Checked out;
  if (!findTopic(in.topic)) {
    return fail(
        Error::invalid("invalid_topic", "Argomento non valido: sceglierne uno dall'elenco."));
  }
  out.topic = in.topic;
  out.subject = line(in.subject);
  if (out.subject.empty() || utf8::length(out.subject) > kMaxSubject) {
    return fail(Error::invalid("invalid_subject",
                               "L'oggetto è obbligatorio e può avere al massimo 150 caratteri."));
  }
  auto body = checkBody(in.body);
  if (!body) return fail(body.error());
  out.body = std::move(*body);
  if (with_extra_email && !validate::trim(in.extra_email).empty()) {
    auto email = validate::email(in.extra_email);
    if (!email) {
      return fail(Error::invalid("invalid_extra_email",
                                 "L'indirizzo e-mail aggiuntivo non è valido (esempio: "
                                 "nome@dominio.it)."));
    }
    out.extra_email = *email;
  }
  auto files = checkAttachments(std::move(in.attachments), sniffer_);
  if (!files) return fail(files.error());
  out.attachments = std::move(*files);
  if (auto st = checkReserve(); !st) return fail(st.error());
  return out;
}

Result<Message> CommunicationService::appendMessage(Transaction& tx,
                                                    Communication& c,
                                                    Author author,
                                                    std::int64_t staff_id,
                                                    const std::string& body,
                                                    const std::vector<NewAttachment>& attachments,
                                                    std::int64_t now,
                                                    bool staged) {
  Message m;
  m.communication_id = c.id;
  m.author = author;
  m.staff_id = staff_id;
  m.body = body;
  m.created_at = now;
  auto id = tx.insertMessage(m);
  if (!id) return fail(id.error());
  m.id = *id;
  // The files were staged by the caller (send) or are written now.
  if (!staged) {
    if (auto st = tx.stageAttachments(attachments); !st) return fail(st.error());
  }
  auto ids = tx.insertStagedAttachments(m.id);
  if (!ids) return fail(ids.error());
  if (ids->size() != attachments.size()) return fail(Error::internal("staged attachments lost"));
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    const auto& a = attachments[i];
    m.attachments.push_back({(*ids)[i], a.filename, a.content_type,
                             static_cast<std::int64_t>(a.data.size()), a.sha256});
  }
  return m;
}

Status CommunicationService::notify(Transaction& tx,
                                    const Communication& c,
                                    NotifyEvent event,
                                    std::int64_t now) {
  std::optional<ContactsVersion> snapshot;
  if (c.contacts_version_id != 0) {
    auto v = tx.contactsVersionById(c.contacts_version_id);
    if (!v) return fail(v.error());
    snapshot = std::move(*v);
  }
  std::vector<OutboxRow> rows;
  const auto to = [&](Channel channel, const std::string& recipient) {
    rows.push_back({c.id, event, channel, recipient, now});
  };
  if (snapshot) {
    const Contacts& k = snapshot->contacts;
    if (event == NotifyEvent::kRegistered) {
      // A registration always goes to the PEC (mandatory to send).
      if (!k.pec.empty()) to(Channel::kPec, k.pec);
    } else {
      for (const auto& name : k.notify) {
        const auto channel = parseName<Channel>(name);
        if (!channel) continue;
        const std::string& address = *channel == Channel::kPec     ? k.pec
                                     : *channel == Channel::kEmail ? k.email
                                                                   : k.mobile;
        if (!address.empty()) to(*channel, address);
      }
    }
  }
  if (!c.extra_email.empty()) {
    const bool already = std::any_of(
        rows.begin(), rows.end(), [&](const OutboxRow& r) { return r.recipient == c.extra_email; });
    if (!already) to(Channel::kEmail, c.extra_email);
  }
  return tx.insertOutboxRows(rows);
}

Status CommunicationService::saveChange(Transaction& tx,
                                        const Communication& c,
                                        const Session& actor,
                                        std::optional<NotifyEvent> event,
                                        const std::string& action,
                                        const std::string& detail,
                                        std::int64_t now) {
  if (auto st = tx.updateCommunication(c); !st) return st;
  if (event) {
    if (auto st = notify(tx, c, *event, now); !st) return st;
  }
  if (auto st = tx.appendAudit({now, actorOf(actor), action, c.protocol, detail}); !st) return st;
  return committed(tx, c.professional_id);
}

Result<Communication> CommunicationService::create(Transaction& tx,
                                                   const Session& actor,
                                                   std::int64_t professional_id,
                                                   Box box,
                                                   const Checked& in,
                                                   std::int64_t now,
                                                   bool staged) {
  auto contacts = tx.currentContacts(professional_id);
  if (!contacts) return fail(contacts.error());
  if (box == Box::kSent && (!*contacts || (*contacts)->contacts.pec.empty())) {
    return fail(Error::invalid("pec_required",
                               "Per inviare una comunicazione serve una PEC nei contatti: "
                               "la aggiunga nella sezione Contatti."));
  }
  const int year = romeTime(now).year;
  auto seq = tx.nextProtocolNumber(year);
  if (!seq) return fail(seq.error());

  Communication c;
  c.protocol = formatProtocol(options_.branch_code, year, *seq);
  c.professional_id = professional_id;
  c.box = box;
  c.topic = in.topic;
  c.subject = in.subject;
  c.status = CommStatus::kAperta;
  c.contacts_version_id = *contacts ? (*contacts)->id : 0;
  c.extra_email = in.extra_email;
  c.unread = box == Box::kReceived;
  c.created_at = c.updated_at = now;
  auto id = tx.insertCommunication(c);
  if (!id) return fail(id.error());
  c.id = *id;
  auto m =
      appendMessage(tx, c, box == Box::kSent ? Author::kProfessional : Author::kInstitute,
                    box == Box::kSent ? 0 : actor.subject_id, in.body, in.attachments, now, staged);
  if (!m) return fail(m.error());
  if (auto st = notify(
          tx, c, box == Box::kSent ? NotifyEvent::kRegistered : NotifyEvent::kInstituteWrote, now);
      !st) {
    return fail(st.error());
  }
  if (auto st = tx.appendAudit(
          {now, actorOf(actor), box == Box::kSent ? "communication_sent" : "institute_wrote",
           c.protocol, std::to_string(in.attachments.size()) + " attachments"});
      !st) {
    return fail(st.error());
  }
  return c;
}

Status checkClock(std::int64_t now, std::int64_t min_plausible_time) {
  if (now >= min_plausible_time) return {};
  Error e = Error::unavailable("clock_implausible",
                               "L'orologio del chiosco non è affidabile: per ora non si possono "
                               "registrare comunicazioni. Avvisi il personale.");
  e.detail = "clock " + std::to_string(now) + " is before the build time " +
             std::to_string(min_plausible_time);
  return fail(e);
}

Result<CommunicationService::CheckedReply> CommunicationService::checkReply(ReplyInput input) {
  auto body = checkBody(input.body);
  if (!body) return fail(body.error());
  auto files = checkAttachments(std::move(input.attachments), sniffer_);
  if (!files) return fail(files.error());
  if (auto st = checkReserve(); !st) return fail(st.error());
  return CheckedReply{std::move(*body), std::move(*files)};
}

Status CommunicationService::checkReserve() {
  if (auto st = checkClock(clock_.nowSeconds(), options_.min_plausible_time); !st) return st;
  return checkFreeSpace(store_, options_.min_free_bytes);
}

namespace {

std::int64_t bytesOf(const std::vector<NewAttachment>& files) {
  std::int64_t n = 0;
  for (const auto& f : files) n += static_cast<std::int64_t>(f.data.size());
  return n;
}

std::string megabytes(std::int64_t bytes) {
  const std::int64_t tenths = (bytes * 10 + 524288) / 1048576;
  std::string text = std::to_string(tenths / 10);
  if (tenths % 10 != 0) text += "," + std::to_string(tenths % 10);
  return text + " MB";
}

}  // namespace

Status CommunicationService::checkFairUse(Transaction& tx,
                                          std::int64_t professional_id,
                                          std::int64_t incoming_bytes,
                                          std::int64_t now) {
  if (options_.daily_bytes <= 0 && options_.sends_per_hour <= 0) return {};
  const CivilTime t = romeTime(now);
  const std::int64_t day_start = now - (t.hour * 3600 + t.minute * 60 + t.second);
  const std::int64_t hour_ago = now - 3600;
  auto sent = tx.professionalSends(professional_id, std::min(day_start, hour_ago + 1));
  if (!sent) return fail(sent.error());
  if (options_.sends_per_hour > 0) {
    std::vector<std::int64_t> in_hour;
    for (const auto& s : *sent) {
      if (s.created_at > hour_ago) in_hour.push_back(s.created_at);
    }
    if (std::ssize(in_hour) >= options_.sends_per_hour) {
      // Free again when the oldest message that counts leaves the hour.
      const std::int64_t at =
          in_hour[in_hour.size() - static_cast<std::size_t>(options_.sends_per_hour)] + 3600;
      return fail(Error{ErrorCode::kTooMany, "send_rate_exceeded",
                        "Ha già inviato " + std::to_string(options_.sends_per_hour) +
                            " messaggi nell'ultima ora: potrà inviarne altri dalle ore " +
                            romeTimeText(at) + ".",
                        std::to_string(at - now)});
    }
  }
  if (options_.daily_bytes > 0 && incoming_bytes > 0) {
    std::int64_t today = 0;
    for (const auto& s : *sent) {
      if (s.created_at >= day_start) today += s.bytes;
    }
    if (today + incoming_bytes > options_.daily_bytes) {
      const std::int64_t tomorrow =
          day_start + 86400 + 3600;  // a little after midnight, DST or not
      const CivilTime next = romeTime(tomorrow);
      const std::int64_t midnight = tomorrow - (next.hour * 3600 + next.minute * 60 + next.second);
      return fail(Error{
          ErrorCode::kTooMany, "daily_quota_exceeded",
          "Oggi ha già allegato " + megabytes(today) + " su " + megabytes(options_.daily_bytes) +
              " consentiti al giorno: questi documenti (" + megabytes(incoming_bytes) +
              ") superano il limite. Potrà inviarli da domani, oppure "
              "inviare ora il messaggio senza allegati.",
          std::to_string(midnight - now)});
    }
  }
  return {};
}

Result<SendResult> CommunicationService::send(const Session& professional, SendInput input) {
  if (professional.role != Role::kProfessional) return fail(forbiddenError());
  const std::string key = validate::trim(input.idempotency_key);
  if (key.size() > kMaxIdempotencyKey) {
    return fail(Error::invalid("invalid_idempotency_key", "Chiave di idempotenza non valida."));
  }
  auto checked = check(std::move(input), /*with_extra_email=*/true);
  if (!checked) return fail(checked.error());

  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWriteLate);
  if (!tx) return fail(tx.error());
  // The files first, while other kiosks' writes go on (a shared database);
  // then the fleet's order: everything below is under the write lock.
  if (auto st = (*tx)->stageAttachments(checked->attachments); !st) return fail(st.error());
  if (auto st = (*tx)->serialize(); !st) return fail(st.error());
  // Checked under the write lock, so two taps racing each other register once.
  if (!key.empty()) {
    auto earlier = (*tx)->findIdempotencyKey(professional.subject_id, key);
    if (!earlier) return fail(earlier.error());
    if (*earlier) {
      auto c = (*tx)->communicationById(**earlier);
      if (!c) return fail(c.error());
      if (!*c) return fail(Error::internal("idempotency key points at a missing thread"));
      return SendResult{std::move(**c), true};
    }
  }
  if (auto st = checkFairUse(**tx, professional.subject_id, bytesOf(checked->attachments), now);
      !st) {
    return fail(st.error());
  }
  auto c = create(**tx, professional, professional.subject_id, Box::kSent, *checked, now,
                  /*staged=*/true);
  if (!c) return fail(c.error());
  if (!key.empty()) {
    if (auto st = (*tx)->saveIdempotencyKey(professional.subject_id, key, c->id, now); !st) {
      return fail(st.error());
    }
  }
  if (auto st = committed(**tx, professional.subject_id); !st) return fail(st.error());
  return SendResult{std::move(*c), false};
}

// A list query's filters, as ListMemo keeps them (the owner apart).
std::string listQuery(const CommFilter& f) {
  std::string q;
  q += f.box ? nameOf(*f.box) : "*";
  q += '\x1f';
  q += f.status ? nameOf(*f.status) : "*";
  q += '\x1f';
  q += f.topic ? "=" + *f.topic : "*";
  q += '\x1f';
  q += f.unread ? (*f.unread ? "1" : "0") : "*";
  q += '\x1f' + std::to_string(f.page) + '\x1f' + std::to_string(f.per_page);
  return q;
}

Result<ListMemo::Answer> CommunicationService::listAnswer(
    const Session& professional,
    CommFilter filter,
    const std::function<std::string(const CommPage&)>& render) {
  if (professional.role != Role::kProfessional) return fail(forbiddenError());
  const std::int64_t owner = professional.subject_id;
  filter.professional_id = owner;
  filter.q.clear();
  const std::string query = listQuery(filter);
  const auto token = memo_.token();
  auto kept = keptAnswer(memo_, owner, query, listVersionOf(owner));
  if (!kept || *kept) return kept;
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  // The page carries the version of its own snapshot: a change committed
  // since moves the version past the one it is kept with.
  auto page = (*tx)->listCommunications(filter);
  if (!page) return fail(page.error());
  auto answer = std::make_shared<const std::string>(render(*page));
  if (page->list_version) memo_.keep(owner, query, *page->list_version, answer, token);
  return answer;
}

Status CommunicationService::committed(Transaction& tx, std::int64_t professional_id) {
  auto st = tx.commit();
  // After the commit (even one whose outcome is unknown): a page read before
  // it is then not kept, and one read after it shows the change.
  memo_.forget(professional_id);
  queue_memo_.forget(kQueuePages);
  return st;
}

Result<ListMemo::Answer> CommunicationService::keptAnswer(ListMemo& memo,
                                                          std::int64_t owner,
                                                          const std::string& query,
                                                          const VersionOf& version_of) {
  if (auto fresh = memo.fresh(owner, query, store_.listNewsDelay())) return fresh;
  if (!memo.has(owner, query)) return ListMemo::Answer{};
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto version = version_of(**tx);
  if (!version) return fail(version.error());
  return memo.confirm(owner, query, *version);
}

Result<ThreadView> CommunicationService::load(std::int64_t id, std::optional<std::int64_t> owner) {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto c = (*tx)->communicationById(id);
  if (!c) return fail(c.error());
  if (!*c || (owner && (*c)->professional_id != *owner)) return fail(notFoundThread());
  ThreadView view;
  if (owner) {
    auto version = (*tx)->listVersion(*owner);
    if (!version) return fail(version.error());
    view.list_version = *version;
  }
  view.communication = std::move(**c);
  if (view.communication.contacts_version_id != 0) {
    auto v = (*tx)->contactsVersionById(view.communication.contacts_version_id);
    if (!v) return fail(v.error());
    view.contacts = std::move(*v);
  }
  auto messages = (*tx)->messagesOf(id);
  if (!messages) return fail(messages.error());
  view.messages = std::move(*messages);
  return view;
}

Result<ThreadView> CommunicationService::open(const Session& professional, std::int64_t id) {
  if (professional.role != Role::kProfessional) return fail(forbiddenError());
  auto view = load(id, professional.subject_id);
  if (!view) return view;
  if (view->communication.unread) {
    view->list_version.reset();  // marked read below, or to be tried again
    // Only a thread with something new costs a write, and one that never
    // waits behind the fleet's sends (kWriteOwn). On a full or read-only disk
    // the thread still opens; it stays marked unread.
    auto marked = [&]() -> Status {
      auto tx = store_.begin(TxMode::kWriteOwn);
      if (!tx) return fail(tx.error());
      if (auto st = (*tx)->markRead(id); !st) return st;
      return committed(**tx, professional.subject_id);
    }();
    if (!marked && !marked.error().isStorageFault()) return fail(marked.error());
    if (marked) view->communication.unread = false;
  }
  return view;
}

Result<ListMemo::Answer> CommunicationService::openAnswer(
    const Session& professional,
    std::int64_t id,
    const std::function<std::string(const ThreadView&)>& render) {
  if (professional.role != Role::kProfessional) return fail(forbiddenError());
  const std::string query = "thread\x1f" + std::to_string(id);
  const auto token = memo_.token();
  auto kept =
      keptAnswer(memo_, professional.subject_id, query, listVersionOf(professional.subject_id));
  if (!kept || *kept) return kept;
  auto view = open(professional, id);
  if (!view) return fail(view.error());
  auto answer = std::make_shared<const std::string>(render(*view));
  if (view->list_version) {
    memo_.keep(professional.subject_id, query, *view->list_version, answer, token);
  }
  return answer;
}

Result<Message> CommunicationService::addMessage(const Session& professional,
                                                 std::int64_t id,
                                                 ReplyInput input) {
  if (professional.role != Role::kProfessional) return fail(forbiddenError());
  auto in = checkReply(std::move(input));
  if (!in) return fail(in.error());
  const auto& [body, files] = *in;
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto c = (*tx)->communicationById(id);
  if (!c) return fail(c.error());
  if (!*c || (*c)->professional_id != professional.subject_id) return fail(notFoundThread());
  if ((*c)->status == CommStatus::kChiusa) return fail(closedError());
  if (auto st = checkFairUse(**tx, professional.subject_id, bytesOf(files), now); !st) {
    return fail(st.error());
  }
  auto m = appendMessage(**tx, **c, Author::kProfessional, 0, body, files, now);
  if (!m) return fail(m.error());
  (*c)->updated_at = now;  // the status stays: in carico stays in carico
  if (auto st = saveChange(**tx, **c, professional, std::nullopt, "message_added",
                           std::to_string(files.size()) + " attachments", now);
      !st) {
    return fail(st.error());
  }
  return m;
}

Result<std::int64_t> CommunicationService::unreadCount(const Session& professional) {
  if (professional.role != Role::kProfessional) return 0;
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  return (*tx)->unreadCount(professional.subject_id);
}

Result<StoredFile> CommunicationService::attachment(const Session& who, std::int64_t id) {
  if (who.role == Role::kTechnician) return fail(forbiddenError());
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto f = (*tx)->attachmentById(id);
  if (!f) return fail(f.error());
  if (!*f || (who.role == Role::kProfessional && (*f)->professional_id != who.subject_id)) {
    return fail(Error::notFound("Allegato non trovato."));
  }
  return std::move(**f);
}

}  // namespace kiosk::domain
