// Civil time in Europe/Rome (CET, CEST from the last Sunday of March to the
// last Sunday of October, switching at 01:00 UTC, as in the EU since 1996),
// without the time zone database. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiosk {

struct CivilTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int utc_offset_minutes = 60;  // 60 (CET) or 120 (CEST)
};

CivilTime romeTime(std::int64_t unix_seconds);

// "27/11/2026 ore 10:42", as receipts and screens say it.
std::string romeDateTimeText(std::int64_t unix_seconds);

// "10:42", Rome time of day.
std::string romeTimeText(std::int64_t unix_seconds);

// "2026-11-27T09:42:00Z", for the API.
std::string isoUtc(std::int64_t unix_seconds);
// The same in a buffer of its own, with no allocation (lists write many).
struct IsoUtc {
  static constexpr std::size_t kSize = 20;
  char text[kSize];
  std::string_view view() const { return {text, kSize}; }
};
IsoUtc isoUtcChars(std::int64_t unix_seconds);

}  // namespace kiosk
