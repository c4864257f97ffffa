// Import of a Gestione Separata archive extract (CSV, see CONTRACT.md):
// UTF-8, ';'-separated, header codice_fiscale;cognome;nome;pec;email;cellulare
// with optional telefono and fax columns after it.
//
// A row with an invalid codice fiscale or the wrong number of columns is
// rejected with its line number; an invalid contact in an accepted row is
// left empty and reported as a warning. Re-importing updates names and the
// archive's contacts, never contacts that the professional changed.
// Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/model.h"
#include "domain/ports/store.h"

namespace kiosk::domain {

struct LineIssue {
  int line = 0;        // 1 is the header
  std::string reason;  // Italian
};

struct ArchiveRow {
  int line = 0;
  std::string codice_fiscale;
  std::string surname;
  std::string name;
  Contacts contacts;
};

struct ParsedArchive {
  std::vector<ArchiveRow> rows;
  std::vector<LineIssue> rejected;
  std::vector<LineIssue> warnings;
};

// Fails (kInvalid, "invalid_header") only when the header is not the archive's.
Result<ParsedArchive> parseArchive(std::string_view csv);

struct ImportReport {
  int added = 0;
  int updated = 0;
  std::vector<LineIssue> rejected;
  std::vector<LineIssue> warnings;
};

// Parses and stores in one transaction: all accepted rows or none.
Result<ImportReport> importArchive(Store& store, const Clock& clock, std::string_view csv);

}  // namespace kiosk::domain
