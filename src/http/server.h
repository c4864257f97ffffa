// Server: CivetWeb hardened for the kiosk. No document root (every request
// goes to the Router), no directory listing, keep-alive on, loopback by
// default, bodies capped. Hostile clients cannot hold the workers: headers
// must arrive within a second, a body within request_timeout_ms and at
// min_body_rate; at most threads-1 slow bodies are read at once, and a
// connection is closed after its answer when it would hold the last free
// worker or its client already keeps keep_alive_per_client open (the box's own
// screen, loopback without X-Forwarded-For, up to 8). A request
// with two Content-Type, Content-Length or Transfer-Encoding headers is 400. Adds the security
// headers to every response and turns any exception from a handler into a logged JSON 500.
//
// Thread safety: start() and stop() from one thread; handlers run on
// CivetWeb's worker threads. The Router and Metrics passed in must outlive
// the Server (stop() waits for requests in flight).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "http/metrics.h"
#include "http/router.h"

struct mg_context;
struct mg_connection;

namespace kiosk::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";   // HOST:PORT; port 0 picks a free port
  int threads = 16;                        // CivetWeb worker threads
  int request_timeout_ms = 10000;          // total time to receive a request's body
  std::size_t max_body_bytes = 64 * 1024;  // cap for JSON and other non-multipart bodies
  std::size_t max_form_bytes = 5 * 1024 * 1024 + 256 * 1024;  // cap for multipart bodies
  std::size_t min_body_rate = 8 * 1024;  // bytes per second a body must keep after 1 s
  int keep_alive_per_client = 2;         // idle connections one client may keep open
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

  struct BodyRead;  // one body being read (server.cpp)

 private:
  static int onRequest(mg_connection* conn, void* self);
  int handle(mg_connection* conn);
  struct Connection;  // per-connection state (client key), kept as CivetWeb's user data
  // Whether this connection should close after the answer: too many
  // connections held open overall or by the same client.
  bool shouldClose(mg_connection* conn, const std::string& client);
  void connectionClosed(mg_connection* conn);

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::atomic<int> in_flight_{0};          // requests inside handle()
  std::atomic<bool> draining_{false};      // stop() has begun (set under mutex_)
  int open_connections_ = 0;               // connections a worker holds, guarded by mutex_
  std::map<std::string, int> per_client_;  // the same by client, guarded by mutex_
  // Bodies being read, watched by a thread that cuts a slow one off (a
  // CivetWeb read blocks until its buffer fills, however slowly bytes come).
  std::list<BodyRead*> reads_;  // guarded by mutex_
  std::thread watchdog_;
  std::condition_variable watchdog_wake_;
  bool watchdog_stop_ = false;  // guarded by mutex_
  void watch();
  void watchOnce();
  friend struct BodyWatch;
};

}  // namespace kiosk::http
