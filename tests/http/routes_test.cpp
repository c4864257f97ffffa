// Every route of the router, called without a socket: none but the public
// ones answers anyone without a session, and a change without the CSRF
// token is refused on every route that changes something.
#include <catch2/catch.hpp>
#include <set>

#include "http/http_client.h"

using namespace kiosk;
using test::HttpClient;
using test::TestKiosk;

namespace {

// A path for a pattern: each placeholder filled with a value that exists.
std::string pathFor(std::string pattern) {
  const std::pair<const char*, const char*> values[] = {
      {"{id}", "1"},   {"{mid}", "1"},          {"{codice_fiscale}", "RSSMRA80A01H501U"},
      {"{hash}", "x"}, {"{*path}", "app/a.js"}, {"{*name}", "doc.pdf"}};
  for (const auto& [from, to] : values) {
    for (auto at = pattern.find(from); at != std::string::npos; at = pattern.find(from)) {
      pattern.replace(at, std::string(from).size(), to);
    }
  }
  return pattern;
}

// What anyone may call: the page and its assets, what the screen needs
// before a login, the login and the PIN set at the kiosk, the card reader
// and the card login (the kiosk's screen only), health, the box's own
// metrics scrape, and the public verification of a receipt.
const std::set<std::string> kPublic = {"GET /",
                                       "GET /assets/{hash}/{*path}",
                                       "GET /api/kiosk",
                                       "GET /healthz",
                                       "GET /metrics",
                                       "POST /api/session",
                                       "POST /api/pin",
                                       "GET /verifica",
                                       "GET /api/card",
                                       "GET /api/speech",
                                       "POST /api/speech",
                                       "POST /api/card/login"};

}  // namespace

TEST_CASE("every route but the public ones wants a session", "[http][routes]") {
  TestKiosk kiosk;
  HttpClient anyone = kiosk.direct();
  const auto routes = kiosk.app().router().routes();
  REQUIRE(routes.size() > 40);
  for (const auto& route : routes) {
    if (kPublic.count(route)) continue;
    const auto space = route.find(' ');
    const std::string method = route.substr(0, space);
    const std::string path = pathFor(route.substr(space + 1));
    auto r = anyone.send(method, path, nlohmann::json::object());
    INFO(route);
    CHECK(r.status == 401);
    CHECK(r.errorCode() == "unauthenticated");
  }
}

TEST_CASE("every route that changes something wants the CSRF token", "[http][routes]") {
  TestKiosk kiosk;
  const auto routes = kiosk.app().router().routes();
  for (const char* who : {"professional", "sportello", "tecnico"}) {
    HttpClient c = kiosk.direct();
    if (std::string(who) == "professional") {
      REQUIRE(c.loginProfessional("RSSMRA80A01H501U", "12345678").status == 200);
    } else {
      REQUIRE(c.loginStaff(who, std::string(who) + "-demo").status == 200);
    }
    c.csrf_token.clear();  // a page of another origin cannot read it
    for (const auto& route : routes) {
      const auto space = route.find(' ');
      const std::string method = route.substr(0, space);
      if (method == "GET" || kPublic.count(route)) continue;
      auto r = c.send(method, pathFor(route.substr(space + 1)), nlohmann::json::object());
      INFO(who << " " << route);
      CHECK(r.status == 403);  // csrf, or forbidden for another role
    }
  }
}
