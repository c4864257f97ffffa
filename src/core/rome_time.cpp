#include "core/rome_time.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace kiosk {
namespace {

using namespace std::chrono;

CivilTime civil(sys_seconds t, int offset_minutes) {
  const auto local = t + minutes{offset_minutes};
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss hms{local - day};
  return {static_cast<int>(ymd.year()),
          static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())),
          static_cast<int>(hms.hours().count()),
          static_cast<int>(hms.minutes().count()),
          static_cast<int>(hms.seconds().count()),
          offset_minutes};
}

}  // namespace

CivilTime romeTime(std::int64_t unix_seconds) {
  const sys_seconds t{seconds{unix_seconds}};
  const year y = year_month_day{floor<days>(t)}.year();
  const sys_seconds summer_from = sys_days{y / March / Sunday[last]} + hours{1};
  const sys_seconds summer_to = sys_days{y / October / Sunday[last]} + hours{1};
  return civil(t, t >= summer_from && t < summer_to ? 120 : 60);
}

std::string romeDateTimeText(std::int64_t unix_seconds) {
  const CivilTime c = romeTime(unix_seconds);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d ore %02d:%02d", c.day, c.month, c.year, c.hour,
                c.minute);
  return buf;
}

std::string romeTimeText(std::int64_t unix_seconds) {
  const CivilTime c = romeTime(unix_seconds);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", c.hour, c.minute);
  return buf;
}

IsoUtc isoUtcChars(std::int64_t unix_seconds) {
  const CivilTime c = civil(sys_seconds{seconds{unix_seconds}}, 0);
  IsoUtc out;
  std::memcpy(out.text, "0000-00-00T00:00:00Z", IsoUtc::kSize);  // snprintf shows in profiles
  auto put = [&](std::size_t at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out.text[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, c.year, 4);
  put(5, c.month, 2);
  put(8, c.day, 2);
  put(11, c.hour, 2);
  put(14, c.minute, 2);
  put(17, c.second, 2);
  return out;
}

std::string isoUtc(std::int64_t unix_seconds) {
  return std::string(isoUtcChars(unix_seconds).view());
}

}  // namespace kiosk
