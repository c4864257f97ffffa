#include "domain/contacts.h"

#include <algorithm>

#include "core/validators.h"

namespace kiosk::domain {
namespace {

// Normalizes one optional field: empty stays empty, otherwise it must pass.
template <typename Check>
Result<std::string> field(const std::string& raw,
                          Check check,
                          const char* reason,
                          const char* message) {
  const std::string text = validate::trim(raw);
  if (text.empty()) return std::string();
  if (auto ok = check(text)) return *ok;
  return fail(Error::invalid(reason, message));
}

}  // namespace

std::vector<std::string> availableChannels(const Contacts& c) {
  std::vector<std::string> out;
  if (!c.pec.empty()) out.emplace_back("pec");
  if (!c.email.empty()) out.emplace_back("email");
  if (!c.mobile.empty()) out.emplace_back("sms");
  return out;
}

Result<Contacts> validateContacts(const ContactsInput& in) {
  Contacts c;
  auto pec = field(in.pec, validate::pec, "invalid_pec",
                   "L'indirizzo PEC non è valido (esempio: nome.cognome@pec.it).");
  if (!pec) return fail(pec.error());
  if (pec->empty()) {
    return fail(Error::invalid("pec_required",
                               "La PEC è obbligatoria: senza PEC non è possibile inviare "
                               "comunicazioni."));
  }
  auto email = field(in.email, validate::email, "invalid_email",
                     "L'indirizzo e-mail non è valido (esempio: nome@dominio.it).");
  if (!email) return fail(email.error());
  auto mobile = field(in.mobile, validate::mobile, "invalid_mobile",
                      "Il numero di cellulare non è valido: serve un cellulare italiano "
                      "(esempio: +39 333 1234567).");
  if (!mobile) return fail(mobile.error());
  auto phone = field(in.phone, validate::phone, "invalid_phone",
                     "Il numero di telefono non è valido: da 6 a 15 cifre.");
  if (!phone) return fail(phone.error());
  auto fax = field(in.fax, validate::phone, "invalid_fax",
                   "Il numero di fax non è valido: da 6 a 15 cifre.");
  if (!fax) return fail(fax.error());
  c.pec = *pec;
  c.email = *email;
  c.mobile = *mobile;
  c.phone = *phone;
  c.fax = *fax;

  const auto available = availableChannels(c);
  if (!in.notify) {
    c.notify = available;
    return c;
  }
  for (const auto& channel : *in.notify) {
    if (std::find(available.begin(), available.end(), channel) == available.end()) {
      return fail(Error::invalid("invalid_notify",
                                 "Canale di notifica non valido: si può scegliere PEC, e-mail o "
                                 "SMS solo se il recapito corrispondente è indicato."));
    }
  }
  // Keep the canonical order and drop duplicates.
  for (const auto& channel : available) {
    if (std::find(in.notify->begin(), in.notify->end(), channel) != in.notify->end()) {
      c.notify.push_back(channel);
    }
  }
  return c;
}

Result<ContactsVersion> ContactsService::current(std::int64_t professional_id) {
  auto tx = store_.begin(TxMode::kRead);
  if (!tx) return fail(tx.error());
  auto v = (*tx)->currentContacts(professional_id);
  if (!v) return fail(v.error());
  return v->value_or(ContactsVersion{});
}

Result<ContactsVersion> ContactsService::update(std::int64_t professional_id,
                                                const ContactsInput& input,
                                                const std::string& actor) {
  auto contacts = validateContacts(input);
  if (!contacts) return fail(contacts.error());
  auto tx = store_.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto now_in_force = (*tx)->currentContacts(professional_id);
  if (!now_in_force) return fail(now_in_force.error());
  const int in_force = *now_in_force ? (*now_in_force)->version : 0;
  if (input.version && *input.version != in_force) {
    return fail(Error::conflict("version_conflict",
                                "I contatti sono stati modificati nel frattempo. Ricarichi la "
                                "pagina e riprovi."));
  }
  auto saved = (*tx)->addContactsVersion(professional_id, *contacts, ContactsSource::kProfessional,
                                         clock_.nowSeconds());
  if (!saved) return fail(saved.error());
  if (auto st = (*tx)->appendAudit({clock_.nowSeconds(), actor, "contacts_changed", actor,
                                    "version " + std::to_string(saved->version)});
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return saved;
}

}  // namespace kiosk::domain
