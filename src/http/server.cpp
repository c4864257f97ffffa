#include "http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sodium.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <new>
#include <thread>
#include <vector>

#include "core/log.h"
#include "http/multipart.h"

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

bool hasBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

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

// Connections the box's own browser may keep open (Chromium opens 6 a host).
constexpr int kOwnScreenKeepAlive = 8;

// How many bytes of a response's error body get through before the close.
constexpr std::size_t kDrainBound = 256 * 1024;

// CivetWeb reads with this per-read quantum (its request_timeout_ms), so that
// a read on a silent client returns and the kiosk's own deadline can act. It
// also bounds the time to receive the request line and headers.
constexpr int kReadQuantumMs = 1000;

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

enum class BodyEnd { kComplete, kTooLarge, kTooSlow, kStopped, kBusy };

}  // namespace

// One body being read, as the watchdog sees it.
struct Server::BodyRead {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<std::size_t> bytes = 0;
  std::atomic<int> cut = 0;  // a BodyEnd once the watchdog cut the read off
  std::string peer_addr;
  int peer_port = 0;
};

// Registers a body read with the watchdog for its lifetime.
struct BodyWatch {
  Server& server;
  Server::BodyRead read;
  BodyWatch(Server& s, const mg_request_info* info) : server(s) {
    read.peer_addr = info->remote_addr;
    read.peer_port = info->remote_port;
    std::lock_guard lock(server.mutex_);
    server.reads_.push_back(&read);
  }
  ~BodyWatch() {
    std::lock_guard lock(server.mutex_);
    server.reads_.remove(&read);
  }
};

namespace {

// Calls `fn(fd, peer address, peer port)` for each accepted connection on our
// `local_port` until it returns true (CivetWeb does not hand sockets out).
template <typename Fn>
void eachClientSocket(int local_port, Fn&& fn) {
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

// Reads a body through CivetWeb (which undoes chunking) into `sink`, at most
// `cap` bytes in all whatever the framing. The watchdog may cut it off
// (too slow, or one slow body too many). `sink` returns false to stop.
template <typename Sink>
BodyEnd readBody(mg_connection* conn, Server::BodyRead& watch, std::size_t cap, Sink&& sink) {
  char buf[16384];
  // A body may carry a PIN: nothing of it stays on this thread's stack.
  struct Wipe {
    char* p;
    std::size_t n;
    ~Wipe() { sodium_memzero(p, n); }
  } wipe{buf, sizeof buf};
  while (true) {
    const int n = mg_read(conn, buf, sizeof buf);
    if (const int cut = watch.cut.load()) return static_cast<BodyEnd>(cut);
    if (n <= 0) return BodyEnd::kComplete;
    const std::size_t total = watch.bytes += static_cast<std::size_t>(n);
    if (total > cap) return BodyEnd::kTooLarge;
    if (!sink(std::string_view(buf, static_cast<std::size_t>(n)))) return BodyEnd::kStopped;
  }
}

// Reads and drops what is left of a refused body, up to a bound, so that the
// answer reaches a client still sending (a close with unread data resets).
void drain(mg_connection* conn) {
  char buf[16384];
  std::size_t read = 0;
  const auto started = std::chrono::steady_clock::now();
  while (read < kDrainBound &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    const int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) return;
    read += static_cast<std::size_t>(n);
  }
}

Error bodyError(BodyEnd end, bool multipart) {
  switch (end) {
    case BodyEnd::kTooLarge:
      return multipart ? formTooLarge()
                       : Error{ErrorCode::kTooLarge, "payload_too_large",
                               "La richiesta è troppo grande per essere accettata."};
    case BodyEnd::kTooSlow:
      return {ErrorCode::kTimeout, "request_timeout",
              "La richiesta è arrivata troppo lentamente. Riprovi."};
    case BodyEnd::kBusy:
      return Error::unavailable("server_busy",
                                "Il servizio è momentaneamente occupato. Riprovi tra poco.");
    default:
      return Error{};
  }
}

}  // namespace

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics) {}

Server::~Server() { stop(); }

// CivetWeb parses at most this many headers and drops the rest unseen.
constexpr int kMaxHeaders = 64;

struct Server::Connection {
  std::string client;  // empty until the first request
};

Status Server::start() {
  const std::string threads = std::to_string(options_.threads);
  const std::string quantum = std::to_string(std::min(kReadQuantumMs, options_.request_timeout_ms));
  const char* config[] = {"listening_ports", options_.listen.c_str(), "num_threads",
                          threads.c_str(), "request_timeout_ms", quantum.c_str(),
                          "enable_directory_listing", "no", "enable_keep_alive", "yes",
                          "keep_alive_timeout_ms", "5000",
                          // A large body goes out after its headers: without this,
                          // Nagle and delayed ACKs would add 40 ms to such answers.
                          "tcp_nodelay", "1", "access_control_allow_origin", "",
                          // The connection buffer holds the request's head and what
                          // of the body came with it: a card PIN sent after this many
                          // bytes of padding never lands there (CONTRACT additions).
                          "max_request_size", "16384", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char* message) {
    log::warn("civetweb", {{"message", message}});
    return 1;
  };
  callbacks.init_connection = [](const mg_connection* conn, void** data) {
    auto* self = static_cast<Server*>(mg_get_user_data(mg_get_context(conn)));
    *data = new (std::nothrow) Connection{};
    std::lock_guard lock(self->mutex_);
    ++self->open_connections_;
    return 0;
  };
  callbacks.connection_close = [](const mg_connection* conn) {
    static_cast<Server*>(mg_get_user_data(mg_get_context(conn)))
        ->connectionClosed(const_cast<mg_connection*>(conn));
  };
  // Before CivetWeb's own routing: a request line with an absolute URI to
  // this server (one to another host is answered at the close) and a
  // request at CivetWeb's limit of 64 headers (the rest were dropped without
  // a word, a cookie or a second Content-Length among them) are answered here.
  callbacks.begin_request = [](mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    Response res;
    if (info->request_uri && info->request_uri[0] != '/' && info->request_uri[0] != '*') {
      res = absoluteUriRefused();
    } else if (info->num_headers >= kMaxHeaders) {
      res = Response::error(431, "too_many_headers",
                            "Richiesta non valida: troppe intestazioni (al massimo " +
                                std::to_string(kMaxHeaders - 1) + ").");
    } else {
      return 0;  // the kiosk's router answers
    }
    try {
      res.header("Connection", "close");
      writeResponse(conn, res, false, false);
    } catch (...) {
    }
    return 1;
  };
  // CivetWeb's own errors (a malformed request line, headers too large) get
  // the kiosk's JSON shape and security headers instead of its HTML page.
  callbacks.http_error = [](mg_connection* conn, int status, const char* reason) {
    auto* self = static_cast<Server*>(mg_get_user_data(mg_get_context(conn)));
    // No exception may cross back into CivetWeb's C code.
    try {
      writeResponse(conn, civetwebError(status, reason ? reason : "", self->draining_), false,
                    false);
    } catch (...) {
      return 1;  // CivetWeb's own page, then
    }
    return 0;
  };
  char error_text[256] = "";
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = config;
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  context_ = mg_start2(&init, &error);
  if (!context_) {
    return fail(Error::unavailable("listen_failed",
                                   "cannot listen on " + options_.listen + ": " + error_text));
  }
  mg_set_request_handler(context_, "/", &Server::onRequest, this);
  mg_server_port ports[4]{};
  if (mg_get_server_ports(context_, 4, ports) > 0) port_ = ports[0].port;
  watchdog_ = std::thread([this] { watch(); });
  return {};
}

void Server::watch() {
  using namespace std::chrono;
  std::unique_lock lock(mutex_);
  while (!watchdog_stop_) {
    watchdog_wake_.wait_for(lock, milliseconds(200));
    try {
      watchOnce();
    } catch (...) {
      // Out of memory for a log line: the next round tries again.
    }
  }
}

// REQUIRES: mutex_ held (the BodyRead pointers live while it is).
void Server::watchOnce() {
  using namespace std::chrono;
  {
    const auto now = steady_clock::now();
    int slow = 0;
    std::vector<BodyRead*> cut;
    for (BodyRead* r : reads_) {  // oldest first
      if (r->cut) continue;
      const auto ms = duration_cast<milliseconds>(now - r->started).count();
      if (ms < 1000) continue;
      // Past its first second a body must keep min_body_rate and finish
      // within request_timeout_ms; and at most threads-1 bodies may be slow,
      // so that one worker is always free for the kiosk's screen.
      const std::size_t expected = options_.min_body_rate * static_cast<std::size_t>(ms) / 1000;
      if (ms > options_.request_timeout_ms || r->bytes < expected) {
        r->cut = static_cast<int>(BodyEnd::kTooSlow);
      } else if (++slow > std::max(1, options_.threads - 1)) {
        r->cut = static_cast<int>(BodyEnd::kBusy);
      } else {
        continue;
      }
      cut.push_back(r);
    }
    for (BodyRead* r : cut) {
      // Wakes the worker out of its read; it answers and closes.
      const int fd = findSocket(r->peer_addr, r->peer_port, port_);
      if (fd >= 0) ::shutdown(fd, SHUT_RD);
      log::warn("slow_body_cut",
                {{"client", r->peer_addr},
                 {"bytes", std::to_string(r->bytes.load())},
                 {"reason", r->cut == static_cast<int>(BodyEnd::kBusy) ? "busy" : "too_slow"}});
    }
  }
}

void Server::stop() {
  if (!context_) return;
  {
    // CivetWeb drops whatever a handler writes once mg_stop() has begun, so
    // the requests in flight finish first.
    std::unique_lock lock(mutex_);
    draining_ = true;
    idle_.wait_for(lock, std::chrono::milliseconds(options_.request_timeout_ms),
                   [&] { return in_flight_ == 0; });
  }
  // CivetWeb's master thread notices the stop flag only when its poll() on
  // the listening socket returns (2 s quantum); one connection wakes it.
  std::thread waker([port = port_] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    // Its workers notice the flag between 2-second polls too: one waiting on
    // a kept-alive connection (the screen's browser keeps several) would hold
    // the stop that long. Nothing is in flight now; ending those reads is safe.
    eachClientSocket(port, [](int client, std::string_view, int) {
      ::shutdown(client, SHUT_RDWR);
      return false;
    });
  });
  mg_stop(context_);  // joins the worker threads
  waker.join();
  {
    std::lock_guard lock(mutex_);
    watchdog_stop_ = true;
  }
  watchdog_wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  context_ = nullptr;
}

int Server::onRequest(mg_connection* conn, void* self) {
  return static_cast<Server*>(self)->handle(conn);
}

bool Server::shouldClose(mg_connection* conn, const std::string& client) {
  auto* c = static_cast<Connection*>(mg_get_user_connection_data(conn));
  std::lock_guard lock(mutex_);
  int same_client = 0;
  if (c) {
    if (c->client.empty()) {
      c->client = client;
      ++per_client_[client];
    }
    same_client = per_client_[client];
  }
  // An idle keep-alive connection holds its worker: never the last free one,
  // and never more than keep_alive_per_client for one LAN client (named by
  // the TLS proxy). The box's own screen (loopback without X-Forwarded-For)
  // may keep as many as Chromium opens to one host (6) and a little more.
  const bool own_screen = client == "127.0.0.1" || client == "::1";
  const int per_client = own_screen ? std::max(options_.keep_alive_per_client, kOwnScreenKeepAlive)
                                    : options_.keep_alive_per_client;
  return open_connections_ >= options_.threads - 1 || same_client > per_client;
}

void Server::connectionClosed(mg_connection* conn) {
  // A request line with an absolute URI naming another host is a proxy
  // request: CivetWeb 1.15 parses it, calls no handler and closes. Its socket
  // is still open here, so the client learns why.
  const mg_request_info* info = mg_get_request_info(conn);
  if (info && info->request_uri && !info->local_uri && info->request_uri[0] != '/' &&
      info->request_uri[0] != '*') {
    try {
      writeResponse(conn, absoluteUriRefused(), false, false);
    } catch (...) {
    }
  }
  auto* c = static_cast<Connection*>(mg_get_user_connection_data(conn));
  std::lock_guard lock(mutex_);
  --open_connections_;
  if (!c) return;
  if (!c->client.empty()) {
    auto it = per_client_.find(c->client);
    if (it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
  }
  delete c;
  mg_set_user_connection_data(conn, nullptr);
}

int Server::handle(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  // No lock on the way in or out: counted first, then draining_ checked,
  // so that stop() either sees this request in flight or this request sees
  // the drain (both atomics are sequentially consistent).
  struct Leave {
    Server& s;
    ~Leave() {
      if (--s.in_flight_ == 0 && s.draining_) {
        std::lock_guard lock(s.mutex_);
        s.idle_.notify_all();
      }
    }
  } leave{*this};
  ++in_flight_;
  if (draining_) {
    const Request none;
    Response res = Response::error(503, "shutting_down", "Servizio in riavvio. Riprovi tra poco.");
    res.header("Connection", "close");
    forceClose(conn);
    send(conn, none, res);
    return res.status;
  }
  const auto started = std::chrono::steady_clock::now();
  Request req;
  Response res;
  std::string route = "unmatched";
  bool close = false;
  try {
    req.method = info->request_method ? info->request_method : "";
    req.path = info->local_uri ? info->local_uri : "/";
    std::optional<std::map<std::string, std::string>> query;
    if (info->query_string) {
      query = parseQuery(info->query_string);
      if (query) req.query = std::move(*query);
    }
    for (int i = 0; i < info->num_headers; ++i) {
      req.headers[info->http_headers[i].name] = info->http_headers[i].value;
    }
    req.remote_addr = info->remote_addr;
    req.client = clientKey(info);
    close = shouldClose(conn, req.client);

    bool ready = true;
    bool form_read = false;
    const bool body = hasBody(req.method);
    const bool multipart = body && req.mediaType() == "multipart/form-data";
    if (const char* repeated = repeatedFramingHeader(info)) {
      res = Response::error(400, "invalid_request",
                            "Richiesta non valida: l'intestazione " + std::string(repeated) +
                                " compare più di una volta.");
      close = true;
      ready = false;
    } else if (info->query_string && !query) {
      // A parameter that does not decode (%00, a bad escape) is refused: read
      // without it, a search would have listed everything.
      res = Response::error(400, "invalid_query",
                            "Richiesta non valida: un parametro dell'indirizzo non si legge "
                            "(carattere nullo o codifica errata).");
      close = body;  // its body, if any, is not read
      ready = false;
    } else if (multipart) {
      req.read_form = [&](const FormLimits& limits) -> Result<Form> {
        if (form_read) return fail(Error{ErrorCode::kInternal, "internal", "form read twice"});
        form_read = true;
        const auto boundary = multipartBoundary(req.header("Content-Type"));
        if (!boundary) return fail(invalidForm("no boundary"));
        const std::size_t cap =
            std::min(limits.max_total_bytes + 64 * 1024, options_.max_form_bytes);
        if (info->content_length > static_cast<long long>(cap)) {
          close = true;  // not read at all
          return fail(formTooLarge());
        }
        MultipartParser parser(*boundary, limits);
        BodyWatch watch(*this, info);
        const BodyEnd end = readBody(conn, watch.read, cap, [&](std::string_view bytes) {
          return parser.feed(bytes) && !parser.complete();
        });
        if (end == BodyEnd::kStopped && parser.complete()) return parser.finish();
        if (end == BodyEnd::kComplete || end == BodyEnd::kStopped) {
          auto form = parser.finish();
          if (!form) {
            drain(conn);
            close = true;
          }
          return form;
        }
        if (end == BodyEnd::kTooLarge) drain(conn);
        close = true;
        return fail(bodyError(end, true));
      };
    } else if (body) {
      if (info->content_length > static_cast<long long>(options_.max_body_bytes)) {
        res = Response::fromError(bodyError(BodyEnd::kTooLarge, false));
        close = true;
        ready = false;
      } else {
        std::string text;
        BodyWatch watch(*this, info);
        const BodyEnd end =
            readBody(conn, watch.read, options_.max_body_bytes, [&](std::string_view bytes) {
              text.append(bytes);
              return true;
            });
        if (end != BodyEnd::kComplete) {
          if (end == BodyEnd::kTooLarge) drain(conn);
          res = Response::fromError(bodyError(end, false));
          close = true;
          ready = false;
        } else {
          req.body = std::move(text);
        }
      }
    }
    // The API takes JSON and multipart forms only; anything else with a body
    // is refused before any handler sees it.
    if (ready && body && !multipart && !req.body.empty() && req.mediaType() != "application/json") {
      res = Response::error(415, "unsupported_media_type",
                            "Formato della richiesta non supportato: serve JSON o un modulo "
                            "multipart.");
      ready = false;
    }
    if (ready) res = router_.dispatch(req, &route);
    // An upload the handler refused before reading it is not read at all:
    // the connection closes instead of draining megabytes.
    if (multipart && (!form_read || res.status == 413)) close = true;
  } catch (const std::exception& e) {
    log::error("handler_exception", {{"route", route}, {"what", e.what()}});
    res = Response::fromError(Error{});
  } catch (...) {
    log::error("handler_exception", {{"route", route}, {"what", "unknown"}});
    res = Response::fromError(Error{});
  }
  if (close) {
    res.header("Connection", "close");
    forceClose(conn);
  }
  try {
    send(conn, req, res);
  } catch (...) {
    // The client went away or memory ran out: nothing more to do.
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.recordRequest(req.method, route, res.status, seconds);
  log::info("http_request", {{"method", req.method},
                             {"route", route},
                             {"status", std::to_string(res.status)},
                             {"ms", std::to_string(static_cast<int>(seconds * 1000))}});
  return res.status;
}

}  // namespace kiosk::http
