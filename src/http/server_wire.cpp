// What goes on the wire between CivetWeb and the kiosk: answers written in
// one write with the security headers, what CivetWeb tells of a request, its
// own errors in the kiosk's words, and the client sockets it does not hand out.
#include "http/server_wire.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace kiosk::http {
namespace {

constexpr const char* kSecurityHeaders[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
     "font-src 'self' data:; frame-src blob:; object-src 'none'; base-uri 'none'; form-action "
     "'self'; "
     "frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"},
};

// The Date header, made once a second per thread.
const std::string& httpDate() {
  thread_local std::time_t made = 0;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != made || text.empty()) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text = buf;
    made = now;
  }
  return text;
}

}  // namespace

bool hasBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// What CivetWeb will do after this answer (its should_keep_alive): the
// request's Connection header decides, else HTTP/1.1 keeps the connection.
bool keepsAlive(const mg_request_info* info) {
  for (int i = 0; i < info->num_headers; ++i) {
    if (strcasecmp(info->http_headers[i].name, "Connection") == 0) {
      std::string v = info->http_headers[i].value;
      for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return v.find("keep-alive") != std::string::npos;
    }
  }
  return info->http_version && std::strcmp(info->http_version, "1.1") == 0;
}

// Status line, headers and (up to 64 KiB) the body in one write: CivetWeb's
// own header functions send each header line by itself, 15 writes an answer.
// `keep`: the Connection header CivetWeb will act on (see keepsAlive).
void writeResponse(mg_connection* conn, const Response& res, bool keep, bool head_only) {
  const bool with_body = !head_only && !res.body.empty();
  constexpr std::size_t kInline = 64 * 1024;
  std::string out;
  out.reserve(1024 + (with_body && res.body.size() <= kInline ? res.body.size() : 0));
  out.append("HTTP/1.1 ")
      .append(std::to_string(res.status))
      .append(" ")
      .append(mg_get_response_code_text(conn, res.status))
      .append("\r\nDate: ")
      .append(httpDate())
      .append("\r\nConnection: ")
      .append(keep ? "keep-alive" : "close")
      .append("\r\n");
  auto line = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  if (!res.content_type.empty()) line("Content-Type", res.content_type);
  line("Content-Length", std::to_string(res.body.size()));
  for (const auto& h : kSecurityHeaders) line(h[0], h[1]);
  bool has_cache_control = false;
  for (const auto& [name, value] : res.headers) {
    has_cache_control = has_cache_control || name == "Cache-Control";
    if (name != "Connection") line(name, value);
  }
  if (!has_cache_control) line("Cache-Control", "no-store");
  out.append("\r\n");
  if (with_body && res.body.size() <= kInline) {
    out.append(res.body);
    mg_write(conn, out.data(), out.size());
  } else {
    mg_write(conn, out.data(), out.size());
    if (with_body) mg_write(conn, res.body.data(), res.body.size());
  }
}

void send(mg_connection* conn, const Request& req, const Response& res) {
  const mg_request_info* info = mg_get_request_info(conn);
  writeResponse(conn, res, info && keepsAlive(info), req.method == "HEAD");
}

// Makes CivetWeb close the connection after this answer: its keep-alive
// decision reads the request's Connection header, so it is set to "close".
void forceClose(mg_connection* conn) {
  auto* info = const_cast<mg_request_info*>(mg_get_request_info(conn));
  if (!info) return;
  for (int i = 0; i < info->num_headers; ++i) {
    if (strcasecmp(info->http_headers[i].name, "Connection") == 0) {
      info->http_headers[i].value = "close";
      return;
    }
  }
  if (info->num_headers < MG_MAX_HEADERS) {
    info->http_headers[info->num_headers].name = "Connection";
    info->http_headers[info->num_headers].value = "close";
    ++info->num_headers;
  }
}

// The client a request comes from: the address the TLS proxy on loopback
// names in X-Forwarded-For (its last hop), else the socket's peer.
std::string clientKey(const mg_request_info* info) {
  const std::string peer = info->remote_addr;
  if (peer == "127.0.0.1" || peer == "::1") {
    for (int i = 0; i < info->num_headers; ++i) {
      if (strcasecmp(info->http_headers[i].name, "X-Forwarded-For") == 0) {
        std::string v = info->http_headers[i].value;
        const auto comma = v.rfind(',');
        if (comma != std::string::npos) v = v.substr(comma + 1);
        const auto first = v.find_first_not_of(' ');
        // An empty value still came through the proxy: a LAN client, not the screen.
        return first == std::string::npos ? std::string("lan:unknown") : v.substr(first);
      }
    }
  }
  return peer;
}

// A header CivetWeb may have seen more than once: its form and length logic
// read the first copy, a handler the last. Two of these are refused.
const char* repeatedFramingHeader(const mg_request_info* info) {
  static constexpr const char* kFraming[] = {"Content-Type", "Content-Length", "Transfer-Encoding"};
  for (const char* name : kFraming) {
    int seen = 0;
    for (int i = 0; i < info->num_headers; ++i) {
      seen += strcasecmp(info->http_headers[i].name, name) == 0;
    }
    if (seen > 1) return name;
  }
  return nullptr;
}

// The answer to a request line whose target is not a path ("GET http://…").
Response absoluteUriRefused() {
  Response res = Response::error(400, "invalid_request",
                                 "Richiesta non valida: l'indirizzo deve iniziare con «/».");
  res.header("Connection", "close");
  return res;
}

// CivetWeb's own error answer, in the kiosk's words. Its "Malformed message"
// is a request head that did not complete: its bound passed (1 s from the
// first byte on a new connection, the keep-alive time on a kept one) or the
// server is stopping. The request may be well formed, so the answer is one a
// client may send again (fleet reliability item 5: two sends in a storm got
// 400 for this), not a 400.
Response civetwebError(int status, std::string_view reason, bool stopping) {
  if (status == 400 && reason == "Malformed message") {
    if (stopping)
      return Response::error(503, "shutting_down", "Servizio in riavvio. Riprovi tra poco.");
    status = 408;
  }
  if (status == 408) {
    return Response::error(408, "request_timeout",
                           "La richiesta è arrivata troppo lentamente. Riprovi.");
  }
  return Response::error(status, "invalid_request", "Richiesta non valida.");
}

// Calls `fn(fd, peer address, peer port)` for each accepted connection on our
// `local_port` until it returns true (CivetWeb does not hand sockets out).
void eachClientSocket(int local_port, const ClientSocketVisit& fn) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* e = ::readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) != 0) continue;
    char text[INET6_ADDRSTRLEN] = "";
    int port = 0;
    int lport = 0;
    if (peer.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<sockaddr_in*>(&peer);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      port = ntohs(in->sin_port);
      lport = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    } else if (peer.ss_family == AF_INET6) {
      const auto* in = reinterpret_cast<sockaddr_in6*>(&peer);
      ::inet_ntop(AF_INET6, &in->sin6_addr, text, sizeof text);
      port = ntohs(in->sin6_port);
      lport = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    }
    if (lport == local_port && fn(fd, std::string_view(text), port)) break;
  }
  ::closedir(dir);
}

// The socket of a client connection, found by its peer and our port; -1 when
// gone. Used only to cut a slow body off.
int findSocket(const std::string& peer_addr, int peer_port, int local_port) {
  int found = -1;
  eachClientSocket(local_port, [&](int fd, std::string_view addr, int port) {
    if (port != peer_port || addr != peer_addr) return false;
    found = fd;
    return true;
  });
  return found;
}

}  // namespace kiosk::http
