#include "core/codice_fiscale.h"

#include <catch2/catch.hpp>

using kiosk::cf::check;
using kiosk::cf::Problem;

TEST_CASE("the demo professional's codice fiscale is valid", "[core]") {
  CHECK(check("RSSMRA80A01H501U") == Problem::kNone);
}

TEST_CASE("a woman's codice fiscale has the day plus 40", "[core]") {
  CHECK(check("GRCFNC70D52L219G") == Problem::kNone);  // born on the 12th
  CHECK(check("SRRBRC65E60D969F") == Problem::kNone);  // born on the 20th
}

TEST_CASE("omocodia letters stand for digits and keep the code valid", "[core]") {
  // RSSMRA80A01H501U with the last digit of the place code (1) replaced by M,
  // then the check character recomputed.
  const std::string base = "RSSMRA80A01H50M";
  const std::string code = base + kiosk::cf::checkCharacter(base);
  CHECK(check(code) == Problem::kNone);
  // Every digit position replaced.
  const std::string all = "RSSMRATLALMHRLM";
  CHECK(check(all + kiosk::cf::checkCharacter(all)) == Problem::kNone);
}

TEST_CASE("a wrong check character is refused", "[core]") {
  CHECK(check("RSSMRA80A01H501X") == Problem::kCheckCharacter);
}

TEST_CASE("a code of the wrong length is refused", "[core]") {
  CHECK(check("ABC123") == Problem::kLength);
  CHECK(check("RSSMRA80A01H501UU") == Problem::kLength);
  CHECK(check("") == Problem::kLength);
}

TEST_CASE("letters and digits in the wrong places are refused", "[core]") {
  CHECK(check("R5SMRA80A01H501U") == Problem::kFormat);  // digit among the surname letters
  CHECK(check("RSSMRAA0A01H501U") == Problem::kFormat);  // A is not an omocodia letter
  CHECK(check("RSSMRA80A01H50AU") == Problem::kFormat);
  CHECK(check("rssmra80a01h501u") == Problem::kFormat);  // check() wants normalized input
}

TEST_CASE("a month letter outside ABCDEHLMPRST is refused", "[core]") {
  const std::string base = "RSSMRA80F01H501";  // F is no month
  CHECK(check(base + kiosk::cf::checkCharacter(base)) == Problem::kMonth);
}

TEST_CASE("days outside 1-31 and 41-71, or past the month's end, are refused", "[core]") {
  for (const std::string base :
       {"RSSMRA80A00H501", "RSSMRA80A32H501", "RSSMRA80A40H501", "RSSMRA80A72H501",
        "RSSMRA80B30H501", "RSSMRA80D31H501", "RSSMRA80B70H501"}) {
    INFO(base);
    CHECK(check(base + kiosk::cf::checkCharacter(base)) == Problem::kDay);
  }
  const std::string feb29 = "RSSMRA80B29H501";
  CHECK(check(feb29 + kiosk::cf::checkCharacter(feb29)) == Problem::kNone);
  const std::string woman31 = "RSSMRA80A71H501";
  CHECK(check(woman31 + kiosk::cf::checkCharacter(woman31)) == Problem::kNone);
}

TEST_CASE("normalize upper-cases and strips spaces", "[core]") {
  CHECK(kiosk::cf::normalize(" rssmra80a01h501u \n") == "RSSMRA80A01H501U");
  CHECK(kiosk::cf::normalize("RSS MRA 80A01 H501U") == "RSSMRA80A01H501U");
}

TEST_CASE("every problem has an Italian description", "[core]") {
  CHECK(kiosk::cf::describe(Problem::kCheckCharacter) ==
        "il carattere di controllo non corrisponde");
  CHECK(kiosk::cf::describe(Problem::kLength) == "il codice fiscale deve avere 16 caratteri");
}
