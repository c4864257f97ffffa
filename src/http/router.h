// Router: maps a method and a path to a handler. Patterns are literal
// segments and {name} placeholders ("/api/communications/{id}"); a
// placeholder matches one non-empty segment; a last {*name} takes the rest
// of the path (never a ".." segment). Routes are added before the
// server starts; matching is then read-only and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.h"

namespace kiosk::http {

using Handler = std::function<Response(Request&)>;

// A member function of a shared handler group as a route's handler.
template <typename Group>
Handler bindTo(std::shared_ptr<Group> group, Response (Group::*fn)(Request&)) {
  return [group, fn](Request& req) { return ((*group).*fn)(req); };
}

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    std::string pattern;               // the matched pattern, for metrics ("unmatched" if none)
    bool path_known = false;           // the path exists under another method (405)
    std::string allowed;               // "GET, POST" when path_known
  };
  // Every route as "METHOD pattern", in the order added.
  std::vector<std::string> routes() const;

  // Fills request.params on a match.
  Match match(Request& request) const;

  // The route's answer: its handler's, or 405 (with Allow) for a path known
  // under other methods, or 404. `pattern` gets the matched pattern for
  // metrics. The server calls it for each request; tests call it without a
  // socket.
  Response dispatch(Request& request, std::string* pattern = nullptr) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace kiosk::http
