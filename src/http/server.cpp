#include "http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <thread>
#include <vector>

#include "core/log.h"
#include "http/multipart.h"

namespace kiosk::http {
namespace {

constexpr const char* kSecurityHeaders[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
     "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
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

void send(mg_connection* conn, const Request& req, const Response& res) {
  mg_response_header_start(conn, res.status);
  if (!res.content_type.empty()) {
    mg_response_header_add(conn, "Content-Type", res.content_type.c_str(), -1);
  }
  const std::string length = std::to_string(res.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  for (const auto& h : kSecurityHeaders) mg_response_header_add(conn, h[0], h[1], -1);
  bool has_cache_control = false;
  for (const auto& [name, value] : res.headers) {
    has_cache_control = has_cache_control || name == "Cache-Control";
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  if (!has_cache_control) mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_send(conn);
  if (req.method != "HEAD" && !res.body.empty()) {
    mg_write(conn, res.body.data(), res.body.size());
  }
}

// Reads a non-multipart body, at most `cap` bytes. nullopt: over the cap.
std::optional<std::string> readBody(mg_connection* conn, long long declared, std::size_t cap) {
  if (declared > static_cast<long long>(cap)) return std::nullopt;
  std::string body;
  if (declared > 0) body.reserve(static_cast<std::size_t>(declared));
  char buf[8192];
  while (true) {
    const int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) break;
    body.append(buf, static_cast<std::size_t>(n));
    if (body.size() > cap) return std::nullopt;  // chunked bodies have no declared length
  }
  return body;
}

}  // namespace

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics) {}

Server::~Server() { stop(); }

Status Server::start() {
  const std::string threads = std::to_string(options_.threads);
  const std::string timeout = std::to_string(options_.request_timeout_ms);
  const char* config[] = {"listening_ports", options_.listen.c_str(), "num_threads",
                          threads.c_str(), "request_timeout_ms", timeout.c_str(),
                          "enable_directory_listing", "no", "enable_keep_alive", "yes",
                          "keep_alive_timeout_ms", "5000",
                          // Headers and body go out in two writes: without this,
                          // Nagle and delayed ACKs add 40 ms to every answer.
                          "tcp_nodelay", "1", "access_control_allow_origin", "", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char* message) {
    log::warn("civetweb", {{"message", message}});
    return 1;
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
  return {};
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
  });
  mg_stop(context_);  // joins the worker threads
  waker.join();
  context_ = nullptr;
}

int Server::onRequest(mg_connection* conn, void* self) {
  return static_cast<Server*>(self)->handle(conn);
}

int Server::handle(mg_connection* conn) {
  {
    std::lock_guard lock(mutex_);
    if (draining_) {
      const Request none;
      Response res =
          Response::error(503, "shutting_down", "Servizio in riavvio. Riprovare tra poco.");
      res.header("Connection", "close");
      send(conn, none, res);
      return res.status;
    }
    ++in_flight_;
  }
  struct Leave {
    Server& s;
    ~Leave() {
      std::lock_guard lock(s.mutex_);
      if (--s.in_flight_ == 0) s.idle_.notify_all();
    }
  } leave{*this};
  const auto started = std::chrono::steady_clock::now();
  const mg_request_info* info = mg_get_request_info(conn);
  Request req;
  Response res;
  std::string route = "unmatched";
  try {
    req.method = info->request_method ? info->request_method : "";
    req.path = info->local_uri ? info->local_uri : "/";
    if (info->query_string) req.query = parseQuery(info->query_string);
    for (int i = 0; i < info->num_headers; ++i) {
      req.headers[info->http_headers[i].name] = info->http_headers[i].value;
    }
    req.remote_addr = info->remote_addr;

    bool ready = true;
    bool form_read = false;
    const bool multipart = hasBody(req.method) && req.mediaType() == "multipart/form-data";
    if (multipart) {
      req.read_form = [conn, &form_read](const FormLimits& limits) -> Result<Form> {
        if (form_read) return fail(Error{ErrorCode::kInternal, "internal", "form read twice"});
        form_read = true;
        return readMultipart(conn, limits);
      };
    } else if (hasBody(req.method)) {
      auto body = readBody(conn, info->content_length, options_.max_body_bytes);
      if (!body) {
        res = Response::error(413, "payload_too_large",
                              "La richiesta è troppo grande per essere accettata.");
        res.header("Connection", "close");
        ready = false;
      } else {
        req.body = std::move(*body);
      }
    }
    // The API takes JSON and multipart forms only; anything else with a body
    // is refused before any handler sees it.
    if (ready && hasBody(req.method) && !multipart && !req.body.empty() &&
        req.mediaType() != "application/json") {
      res = Response::error(415, "unsupported_media_type",
                            "Formato della richiesta non supportato: serve JSON o un modulo "
                            "multipart.");
      ready = false;
    }
    if (ready) {
      auto match = router_.match(req);
      route = match.pattern;
      if (match.handler) {
        res = (*match.handler)(req);
      } else if (match.path_known) {
        res = Response::error(405, "method_not_allowed",
                              "Operazione non consentita su questa risorsa.");
        res.header("Allow", match.allowed);
      } else {
        res = Response::error(404, "not_found", "Pagina o risorsa non trovata.");
      }
    }
    // An upload the handler refused before reading it is not read at all:
    // the connection closes instead of draining megabytes.
    if (multipart && (!form_read || res.status == 413)) res.header("Connection", "close");
  } catch (const std::exception& e) {
    log::error("handler_exception", {{"route", route}, {"what", e.what()}});
    res = Response::fromError(Error{});
  } catch (...) {
    log::error("handler_exception", {{"route", route}, {"what", "unknown"}});
    res = Response::fromError(Error{});
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
