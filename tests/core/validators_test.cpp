#include "core/validators.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "core/own_stack.h"
#include "core/topics.h"

namespace v = kiosk::validate;

TEST_CASE("e-mail addresses are accepted and the domain lower-cased", "[core]") {
  CHECK(v::email("mario.rossi@mail.example.com") == "mario.rossi@mail.example.com");
  CHECK(v::email("  Mario.Rossi@Mail.Example.COM ") == "Mario.Rossi@mail.example.com");
  CHECK(v::pec("studio+gs@pec.example.it") == "studio+gs@pec.example.it");
}

TEST_CASE("malformed e-mail addresses are refused", "[core]") {
  for (const char* bad :
       {"not-an-email", "a@b", "@pec.it", "a@@pec.it", "a b@pec.it", "a@pec..it", ".a@pec.it",
        "a.@pec.it", "a@-pec.it", "a@pec.it-", "a@pec_it.it", "", "a@pec.it\n<script>"}) {
    INFO(bad);
    CHECK_FALSE(v::email(bad));
  }
}

TEST_CASE("Italian mobile numbers are normalized to E.164", "[core]") {
  CHECK(v::mobile("+393331234567") == "+393331234567");
  CHECK(v::mobile("333 123 4567") == "+393331234567");
  CHECK(v::mobile("0039 333-1234567") == "+393331234567");
  CHECK(v::mobile("+39 331 234 567") == "+39331234567");  // 9 digits, older numbers
}

TEST_CASE("landlines and foreign numbers are not mobiles", "[core]") {
  for (const char* bad : {"+39061234567", "061234567", "+443331234567", "33312345", "3331234567890",
                          "+39 333 12345a7", ""}) {
    INFO(bad);
    CHECK_FALSE(v::mobile(bad));
  }
}

TEST_CASE("phone and fax numbers take 6 to 15 digits", "[core]") {
  CHECK(v::phone("06 1234 5678") == "0612345678");
  CHECK(v::phone("+39 (06) 1234.5678") == "+390612345678");
  CHECK_FALSE(v::phone("12345"));
  CHECK_FALSE(v::phone("1234567890123456"));
  CHECK_FALSE(v::phone("06-CALLME"));
}

TEST_CASE("a PIN has 8 to 16 letters and digits", "[core]") {
  CHECK(v::pin("12345678"));
  CHECK(v::pin("Abcdef1234567890"));
  CHECK_FALSE(v::pin("1234567"));
  CHECK_FALSE(v::pin("12345678901234567"));
  CHECK_FALSE(v::pin("1234 5678"));
  CHECK_FALSE(v::pin("1234567è"));
}

TEST_CASE("a staff password has at least 12 characters", "[core]") {
  CHECK(v::staffPassword("sportello-demo"));
  CHECK_FALSE(v::staffPassword("short-pass1"));
  CHECK(v::staffPassword("perché-città!"));      // 13 characters, more bytes
  CHECK_FALSE(v::staffPassword("àèéìòùàèéìò"));  // 11 characters, 22 bytes
}

TEST_CASE("the 11 topics come in the service's order with stable codes", "[core]") {
  const auto all = kiosk::topics();
  REQUIRE(all.size() == 11);
  CHECK(all.front().label == "Anagrafica");
  CHECK(all[3].label == "Istanze di rateizzazione");
  CHECK(all.back().code == "ruoli_versamenti");
  CHECK(all.back().label == "Ruoli e Versamenti");
  CHECK(kiosk::findTopic("rimborso") != nullptr);
  CHECK(kiosk::findTopic("Rimborso") == nullptr);
}

TEST_CASE("work on its own stack: the result comes back, and so does an exception", "[core]") {
  CHECK(kiosk::runOnOwnStack([] { return 42; }) == 42);
  CHECK_THROWS_AS(kiosk::runOnOwnStack([]() -> int { throw std::runtime_error("libcups"); }),
                  std::runtime_error);
}
