// Server: CivetWeb hardened for the kiosk. No document root (every request
// goes to the Router), no directory listing, keep-alive on, loopback by
// default, request timeouts, bodies capped. Adds the security headers to every
// response and turns any exception from a handler into a logged JSON 500.
//
// Thread safety: start() and stop() from one thread; handlers run on
// CivetWeb's worker threads. The Router and Metrics passed in must outlive
// the Server (stop() waits for requests in flight).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "core/error.h"
#include "http/metrics.h"
#include "http/router.h"

struct mg_context;
struct mg_connection;

namespace kiosk::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";   // HOST:PORT; port 0 picks a free port
  int threads = 8;                         // CivetWeb worker threads
  int request_timeout_ms = 10000;          // a request that takes longer is cut off
  std::size_t max_body_bytes = 64 * 1024;  // cap for JSON and other non-multipart bodies
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the workers. kUnavailable when the port cannot be bound.
  Status start();
  // The bound port (after start()).
  int port() const { return port_; }
  // Answers new requests 503 while the requests in flight finish (at most
  // request_timeout_ms), then stops CivetWeb.
  void stop();

 private:
  static int onRequest(mg_connection* conn, void* self);
  int handle(mg_connection* conn);

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable idle_;
  int in_flight_ = 0;      // requests inside handle(), guarded by mutex_
  bool draining_ = false;  // stop() has begun, guarded by mutex_
};

}  // namespace kiosk::http
