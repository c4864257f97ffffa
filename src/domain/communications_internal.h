// Pieces shared by communications.cpp and communications_staff.cpp (the two
// halves of CommunicationService); not for use outside them.
#pragma once

#include <string>

#include "core/error.h"
#include "domain/model.h"

namespace kiosk::domain {

Error notFoundThread();
bool isStaff(const Session& s);
// A multi-line text: controls but newlines and tabs dropped, CRLF made LF, trimmed.
std::string text(const std::string& raw);
// A list query's filters, as ListMemo keeps them (the owner apart).
std::string listQuery(const CommFilter& f);

}  // namespace kiosk::domain
