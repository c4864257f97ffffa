#include "domain/list_memo.h"

#include <catch2/catch.hpp>
#include <thread>

using kiosk::domain::ListMemo;
using namespace std::chrono_literals;

namespace {

ListMemo::Answer text(const char* s) { return std::make_shared<const std::string>(s); }

}  // namespace

TEST_CASE("a kept page is confirmed at its version and dropped at another", "[domain]") {
  ListMemo memo;
  memo.keep(7, "q", 3, text("pagina"), memo.token());
  CHECK(memo.has(7, "q"));
  CHECK_FALSE(memo.has(8, "q"));
  REQUIRE(memo.confirm(7, "q", 3));
  CHECK(*memo.confirm(7, "q", 3) == "pagina");
  CHECK_FALSE(memo.confirm(7, "q", 4));
  // Without a delay (one kiosk's file), every ask checks.
  CHECK_FALSE(memo.fresh(7, "q", 0ms));
}

TEST_CASE("a page read before a forget is not kept after it", "[domain]") {
  ListMemo memo;
  const auto token = memo.token();
  memo.forget(7);  // a change committed while the page was being read
  memo.keep(7, "q", 3, text("vecchia"), token);
  CHECK_FALSE(memo.has(7, "q"));
  memo.keep(7, "q", 4, text("nuova"), memo.token());
  memo.forget(8);  // another professional's: this one's page stays
  CHECK(memo.has(7, "q"));
  memo.forget(7);
  CHECK_FALSE(memo.has(7, "q"));
}

TEST_CASE("past the delay one request checks a page while the others have it as it was",
          "[domain]") {
  ListMemo memo;
  constexpr auto kDelay = 100ms;
  memo.keep(7, "q", 3, text("pagina"), memo.token());
  CHECK(memo.fresh(7, "q", kDelay));  // just read
  std::this_thread::sleep_for(kDelay + 20ms);
  // The first to come after the delay checks; those during its check do not.
  CHECK_FALSE(memo.fresh(7, "q", kDelay));
  CHECK(memo.fresh(7, "q", kDelay));
  CHECK(memo.fresh(7, "q", kDelay));
  // Confirmed at its version: fresh for another delay.
  REQUIRE(memo.confirm(7, "q", 3));
  CHECK(memo.fresh(7, "q", kDelay));

  // A check that never came back (its request failed) holds no one back for
  // longer than a delay.
  std::this_thread::sleep_for(kDelay + 20ms);
  CHECK_FALSE(memo.fresh(7, "q", kDelay));
  CHECK(memo.fresh(7, "q", kDelay));
  std::this_thread::sleep_for(kDelay + 20ms);
  CHECK_FALSE(memo.fresh(7, "q", kDelay));

  // The version moved: no longer answered; the page read anew replaces it.
  CHECK_FALSE(memo.confirm(7, "q", 4));
  CHECK_FALSE(memo.fresh(7, "q", kDelay));
  memo.keep(7, "q", 4, text("nuova"), memo.token());
  CHECK(*memo.fresh(7, "q", kDelay) == "nuova");
}
