// CommunicationService, the Institute's side: the queue and its search, a
// thread as the staff see it, take in charge, reply, close, write first.
#include "core/codice_fiscale.h"
#include "core/utf8.h"
#include "core/validators.h"
#include "domain/communications.h"
#include "domain/communications_internal.h"

namespace kiosk::domain {
namespace {

constexpr std::size_t kMaxOutcome = 2000;

}  // namespace

Result<CommPage> CommunicationService::queue(const Session& staff, CommFilter filter) {
  if (!isStaff(staff)) return fail(forbiddenError());
  filter.professional_id.reset();
  filter.q = validate::trim(filter.q);
  if (!filter.q.empty() && searchTerms(filter.q).kind == SearchTerms::Kind::kNone) {
    return fail(Error::invalid("search_too_short",
                               "Per cercare scriva almeno 3 lettere o cifre (cifre del "
                               "protocollo, l'inizio del codice fiscale, del cognome o di una "
                               "parola dell'oggetto)."));
  }
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  return (*tx)->listCommunications(filter);
}

Result<ListMemo::Answer> CommunicationService::queueAnswer(
    const Session& staff,
    CommFilter filter,
    const std::function<std::string(const CommPage&)>& render) {
  if (!isStaff(staff)) return fail(forbiddenError());
  if (!validate::trim(filter.q).empty()) {
    auto page = queue(staff, std::move(filter));
    if (!page) return fail(page.error());
    return std::make_shared<const std::string>(render(*page));
  }
  filter.professional_id.reset();
  filter.q.clear();
  const std::string query = listQuery(filter);
  const auto token = queue_memo_.token();
  auto kept = keptAnswer(queue_memo_, kQueuePages, query,
                         [](Transaction& tx) { return tx.queueVersion(); });
  if (!kept || *kept) return kept;
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  // The version first: on a server each statement may see a newer snapshot,
  // and a page newer than its version is only read again, never kept stale.
  auto version = (*tx)->queueVersion();
  if (!version) return fail(version.error());
  auto page = (*tx)->listCommunications(filter);
  if (!page) return fail(page.error());
  auto answer = std::make_shared<const std::string>(render(*page));
  queue_memo_.keep(kQueuePages, query, *version, answer, token);
  return answer;
}

Result<ThreadView> CommunicationService::staffOpen(const Session& staff, std::int64_t id) {
  if (!isStaff(staff)) return fail(forbiddenError());
  auto view = load(id, std::nullopt);
  if (!view || view->communication.assigned_staff_id == 0) return view;
  // "In carico" says by whom.
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto who = (*tx)->staffById(view->communication.assigned_staff_id);
  if (!who) return fail(who.error());
  if (*who) view->assigned_to = (*who)->display_name;
  return view;
}

Result<Communication> CommunicationService::forChange(Transaction& tx,
                                                      const Session& staff,
                                                      std::int64_t id) {
  if (!isStaff(staff)) return fail(forbiddenError());
  auto c = tx.communicationById(id);
  if (!c) return fail(c.error());
  if (!*c) return fail(notFoundThread());
  if ((*c)->status == CommStatus::kChiusa) return fail(closedError());
  return std::move(**c);
}

Result<Communication> CommunicationService::take(const Session& staff, std::int64_t id) {
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto c = forChange(**tx, staff, id);
  if (!c) return c;
  if (c->status != CommStatus::kAperta) {
    return fail(Error::conflict("already_taken", "La comunicazione è già in carico."));
  }
  c->status = CommStatus::kInCarico;
  c->assigned_staff_id = staff.subject_id;
  c->updated_at = now;
  if (auto st = saveChange(**tx, *c, staff, std::nullopt, "communication_taken", "", now); !st) {
    return fail(st.error());
  }
  return c;
}

Result<Message> CommunicationService::reply(const Session& staff,
                                            std::int64_t id,
                                            ReplyInput input) {
  if (!isStaff(staff)) return fail(forbiddenError());
  auto in = checkReply(std::move(input));
  if (!in) return fail(in.error());
  const auto& [body, files] = *in;
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto c = forChange(**tx, staff, id);
  if (!c) return fail(c.error());
  auto m = appendMessage(**tx, *c, Author::kInstitute, staff.subject_id, body, files, now);
  if (!m) return fail(m.error());
  // Answering an open thread takes it in charge.
  if (c->status == CommStatus::kAperta) {
    c->status = CommStatus::kInCarico;
    c->assigned_staff_id = staff.subject_id;
  }
  c->unread = true;
  c->updated_at = now;
  if (auto st = saveChange(**tx, *c, staff, NotifyEvent::kReplied, "institute_replied",
                           std::to_string(files.size()) + " attachments", now);
      !st) {
    return fail(st.error());
  }
  return m;
}

Result<Communication> CommunicationService::close(const Session& staff,
                                                  std::int64_t id,
                                                  const std::string& outcome) {
  const std::string text_outcome = text(outcome);
  if (text_outcome.empty() || utf8::length(text_outcome) > kMaxOutcome) {
    return fail(Error::invalid(
        "invalid_outcome", "Indicare l'esito della comunicazione (al massimo 2.000 caratteri)."));
  }
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto c = forChange(**tx, staff, id);
  if (!c) return c;
  c->status = CommStatus::kChiusa;
  c->outcome = text_outcome;
  c->unread = true;  // the professional has an outcome to read
  c->updated_at = now;
  if (c->assigned_staff_id == 0) c->assigned_staff_id = staff.subject_id;
  if (auto st = saveChange(**tx, *c, staff, NotifyEvent::kClosed, "communication_closed", "", now);
      !st) {
    return fail(st.error());
  }
  return c;
}

Result<Communication> CommunicationService::writeFirst(const Session& staff,
                                                       const std::string& codice_fiscale,
                                                       SendInput input) {
  if (!isStaff(staff)) return fail(forbiddenError());
  const std::string cf = cf::normalize(codice_fiscale);
  if (!cf::isValid(cf)) {
    return fail(Error::invalid("invalid_codice_fiscale", "Codice fiscale non valido."));
  }
  auto checked = check(std::move(input), /*with_extra_email=*/false);
  if (!checked) return fail(checked.error());
  const std::int64_t now = clock_.nowSeconds();
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto p = (*tx)->findProfessional(cf);
  if (!p) return fail(p.error());
  if (!*p) return fail(Error::notFound("Professionista non presente nell'archivio."));
  auto c = create(**tx, staff, (*p)->id, Box::kReceived, *checked, now);
  if (!c) return c;
  if (auto st = committed(**tx, (*p)->id); !st) return fail(st.error());
  c->codice_fiscale = cf;
  c->professional_name = (*p)->displayName();
  return c;
}

}  // namespace kiosk::domain
