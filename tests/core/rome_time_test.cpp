#include "core/rome_time.h"

#include <catch2/catch.hpp>

using kiosk::isoUtc;
using kiosk::romeDateTimeText;
using kiosk::romeTime;

TEST_CASE("Rome is UTC+1 in winter and UTC+2 in summer", "[core]") {
  CHECK(romeDateTimeText(1'795'772'520) == "27/11/2026 ore 10:42");  // 09:42Z
  CHECK(romeTime(1'782'000'000).utc_offset_minutes == 120);          // June 2026
}

TEST_CASE("summer time starts and ends at 01:00 UTC on the last Sundays", "[core]") {
  // 2026-03-29 is the last Sunday of March.
  CHECK(romeTime(1'774'745'999).utc_offset_minutes == 60);   // 00:59:59Z
  CHECK(romeTime(1'774'746'000).utc_offset_minutes == 120);  // 01:00:00Z → 03:00 in Rome
  CHECK(romeTime(1'774'746'000).hour == 3);
  // 2026-10-25 is the last Sunday of October.
  CHECK(romeTime(1'792'889'999).utc_offset_minutes == 120);
  CHECK(romeTime(1'792'890'000).utc_offset_minutes == 60);
}

TEST_CASE("the API's times are ISO 8601 in UTC", "[core]") {
  CHECK(isoUtc(0) == "1970-01-01T00:00:00Z");
  CHECK(isoUtc(1'795'772'520) == "2026-11-27T09:42:00Z");
}
