#include "domain/archive_import.h"

#include <array>

#include "core/codice_fiscale.h"
#include "core/utf8.h"
#include "core/validators.h"
#include "domain/contacts.h"

namespace kiosk::domain {
namespace {

constexpr std::array<std::string_view, 6> kRequired = {"codice_fiscale", "cognome",  "nome", "pec",
                                                       "email",          "cellulare"};

// Splits one line on ';', honouring double quotes ("a;b" and "" for a quote).
std::vector<std::string> splitFields(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"' && out.back().empty()) {
      quoted = true;
    } else if (c == ';') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

// Applies `check` to a contact; an invalid value is dropped with a warning.
template <typename Check>
std::string contact(const std::string& raw,
                    Check check,
                    int line,
                    const char* what,
                    std::vector<LineIssue>& warnings) {
  const std::string text = validate::trim(raw);
  if (text.empty()) return {};
  if (auto ok = check(text)) return *ok;
  warnings.push_back({line, std::string(what) + " non valido, lasciato vuoto"});
  return {};
}

}  // namespace

Result<ParsedArchive> parseArchive(std::string_view csv) {
  if (csv.starts_with("\xEF\xBB\xBF")) csv.remove_prefix(3);  // UTF-8 BOM
  ParsedArchive out;
  int line_no = 0;
  std::size_t columns = 0;
  int phone_col = -1;
  int fax_col = -1;
  while (!csv.empty()) {
    const auto end = csv.find('\n');
    std::string_view line = csv.substr(0, end);
    csv.remove_prefix(end == std::string_view::npos ? csv.size() : end + 1);
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    auto fields = splitFields(line);
    if (line_no == 1) {
      bool ok = fields.size() >= kRequired.size();
      for (std::size_t i = 0; ok && i < kRequired.size(); ++i) {
        ok = validate::trim(fields[i]) == kRequired[i];
      }
      if (!ok) {
        return fail(Error::invalid("invalid_header",
                                   "Intestazione non valida: attesa "
                                   "codice_fiscale;cognome;nome;pec;email;cellulare"));
      }
      columns = fields.size();
      for (std::size_t i = kRequired.size(); i < fields.size(); ++i) {
        const auto name = validate::trim(fields[i]);
        if (name == "telefono") phone_col = static_cast<int>(i);
        if (name == "fax") fax_col = static_cast<int>(i);
      }
      continue;
    }
    if (validate::trim(line).empty()) continue;
    if (!utf8::isValid(line)) {
      out.rejected.push_back({line_no, "testo non in UTF-8"});
      continue;
    }
    if (fields.size() != columns) {
      out.rejected.push_back(
          {line_no, "numero di colonne errato: " + std::to_string(fields.size()) + " invece di " +
                        std::to_string(columns)});
      continue;
    }
    ArchiveRow row;
    row.line = line_no;
    row.codice_fiscale = cf::normalize(fields[0]);
    if (const auto problem = cf::check(row.codice_fiscale); problem != cf::Problem::kNone) {
      out.rejected.push_back({line_no, "codice fiscale non valido: " + cf::describe(problem)});
      continue;
    }
    row.surname = validate::trim(fields[1]);
    row.name = validate::trim(fields[2]);
    if (row.surname.empty() || row.name.empty()) {
      out.rejected.push_back({line_no, "cognome o nome mancante"});
      continue;
    }
    Contacts& c = row.contacts;
    c.pec = contact(fields[3], validate::pec, line_no, "PEC", out.warnings);
    c.email = contact(fields[4], validate::email, line_no, "e-mail", out.warnings);
    c.mobile = contact(fields[5], validate::mobile, line_no, "cellulare", out.warnings);
    if (phone_col >= 0) {
      c.phone = contact(fields[static_cast<std::size_t>(phone_col)], validate::phone, line_no,
                        "telefono", out.warnings);
    }
    if (fax_col >= 0) {
      c.fax = contact(fields[static_cast<std::size_t>(fax_col)], validate::phone, line_no, "fax",
                      out.warnings);
    }
    c.notify = availableChannels(c);
    out.rows.push_back(std::move(row));
  }
  if (line_no == 0) {
    return fail(Error::invalid("invalid_header", "Il file è vuoto: manca l'intestazione."));
  }
  return out;
}

Result<ImportReport> importArchive(Store& store, const Clock& clock, std::string_view csv) {
  auto parsed = parseArchive(csv);
  if (!parsed) return fail(parsed.error());
  ImportReport report;
  report.rejected = std::move(parsed->rejected);
  report.warnings = std::move(parsed->warnings);
  const std::int64_t now = clock.nowSeconds();

  auto tx = store.begin(TxMode::kWrite);
  if (!tx) return fail(tx.error());
  for (const auto& row : parsed->rows) {
    auto existing = (*tx)->findProfessional(row.codice_fiscale);
    if (!existing) return fail(existing.error());
    std::int64_t id = 0;
    if (*existing) {
      id = (*existing)->id;
      if ((*existing)->surname != row.surname || (*existing)->name != row.name) {
        if (auto st = (*tx)->updateProfessionalNames(id, row.surname, row.name, now); !st) {
          return fail(st.error());
        }
      }
      ++report.updated;
    } else {
      Professional p;
      p.codice_fiscale = row.codice_fiscale;
      p.surname = row.surname;
      p.name = row.name;
      auto inserted = (*tx)->insertProfessional(p, now);
      if (!inserted) return fail(inserted.error());
      id = *inserted;
      ++report.added;
    }
    auto current = (*tx)->currentContacts(id);
    if (!current) return fail(current.error());
    // Contacts the professional changed are theirs: the archive never overwrites them.
    const bool archive_owned = !*current || (*current)->source == ContactsSource::kArchive;
    if (archive_owned && (!*current || (*current)->contacts != row.contacts)) {
      auto v = (*tx)->addContactsVersion(id, row.contacts, ContactsSource::kArchive, now);
      if (!v) return fail(v.error());
    }
  }
  if (auto st = (*tx)->appendAudit({now, "system", "archive_imported", "archive",
                                    std::to_string(report.added) + " added, " +
                                        std::to_string(report.updated) + " updated, " +
                                        std::to_string(report.rejected.size()) + " rejected"});
      !st) {
    return fail(st.error());
  }
  if (auto st = (*tx)->commit(); !st) return fail(st.error());
  return report;
}

}  // namespace kiosk::domain
