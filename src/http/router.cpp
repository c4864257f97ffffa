#include "http/router.h"

namespace kiosk::http {
namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

bool matches(const std::vector<std::string>& pattern,
             const std::vector<std::string>& path,
             std::map<std::string, std::string>* params) {
  // A last segment {*name} takes the rest of the path (one segment at least).
  const bool tail = !pattern.empty() && pattern.back().starts_with("{*");
  if (tail ? path.size() < pattern.size() : pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto& p = pattern[i];
    if (tail && i + 1 == pattern.size()) {
      std::string rest;
      for (std::size_t k = i; k < path.size(); ++k) {
        if (path[k] == "..") return false;
        if (!rest.empty()) rest += '/';
        rest += path[k];
      }
      if (params) (*params)[p.substr(2, p.size() - 3)] = rest;
      return true;
    }
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (params) (*params)[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  auto segments = split(pattern);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

std::vector<std::string> Router::routes() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.method + " " + r.pattern);
  return out;
}

Response Router::dispatch(Request& request, std::string* pattern) const {
  auto m = match(request);
  if (pattern) *pattern = m.pattern;
  if (m.handler) return (*m.handler)(request);
  if (m.path_known) {
    Response res =
        Response::error(405, "method_not_allowed", "Operazione non consentita su questa risorsa.");
    res.header("Allow", m.allowed);
    return res;
  }
  return Response::error(404, "not_found", "Pagina o risorsa non trovata.");
}

Router::Match Router::match(Request& request) const {
  Match m;
  m.pattern = "unmatched";
  const auto path = split(request.path);
  for (const auto& route : routes_) {
    if (!matches(route.segments, path, nullptr)) continue;
    if (route.method == request.method || (request.method == "HEAD" && route.method == "GET")) {
      matches(route.segments, path, &request.params);
      m.handler = &route.handler;
      m.pattern = route.pattern;
      return m;
    }
    m.path_known = true;
    m.pattern = route.pattern;
    if (!m.allowed.empty()) m.allowed += ", ";
    m.allowed += route.method;
  }
  return m;
}

}  // namespace kiosk::http
