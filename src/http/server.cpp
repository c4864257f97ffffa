#include "http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <thread>
#include <vector>

#include "core/log.h"
#include "http/multipart.h"
#include "http/server_wire.h"

namespace kiosk::http {
namespace {

// Connections the box's own browser may keep open (Chromium opens 6 a host).
constexpr int kOwnScreenKeepAlive = 8;

// How many bytes of a response's error body get through before the close.
constexpr std::size_t kDrainBound = 256 * 1024;

// CivetWeb reads with this per-read quantum (its request_timeout_ms), so that
// a read on a silent client returns and the kiosk's own deadline can act. It
// also bounds the time to receive the request line and headers.
constexpr int kReadQuantumMs = 1000;

// A read slower than this is a journal line (http_request) like a change.
constexpr double kSlowRequestSeconds = 0.25;

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

// Reads a body through CivetWeb (which undoes chunking) into `sink`, at most
// `cap` bytes in all whatever the framing. The watchdog may cut it off
// (too slow, or one slow body too many). `sink` returns false to stop.
template <typename Sink>
BodyEnd readBody(mg_connection* conn, Server::BodyRead& watch, std::size_t cap, Sink&& sink) {
  // A client that asked first (curl and many libraries do, for a large
  // body) sends it once told to go on (RFC 9110 §10.1.1). CivetWeb tells
  // only its own file and CGI handlers: a send from curl waited a second,
  // and was refused as an invalid form when the kiosk's first read ended
  // before its body came. A body refused before it is read gets the final
  // answer instead.
  const char* expect = mg_get_header(conn, "Expect");
  if (expect && mg_strcasecmp(expect, "100-continue") == 0 &&
      std::string_view(mg_get_request_info(conn)->http_version) == "1.1") {
    constexpr std::string_view kGoOn = "HTTP/1.1 100 Continue\r\n\r\n";
    mg_write(conn, kGoOn.data(), kGoOn.size());
  }
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
  // Reads that went well are counted in /metrics only: a line each would be
  // the journal's bulk (a screen polls) and a write on every answer. Changes,
  // errors and slow answers are each a line.
  const bool read = req.method == "GET" || req.method == "HEAD";
  if (read && res.status < 400 && seconds < kSlowRequestSeconds) return res.status;
  log::info("http_request", {{"method", req.method},
                             {"route", route},
                             {"status", std::to_string(res.status)},
                             {"ms", std::to_string(static_cast<int>(seconds * 1000))}});
  return res.status;
}

}  // namespace kiosk::http
