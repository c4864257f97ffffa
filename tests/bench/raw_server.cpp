// The ceiling for scripts/bench: CivetWeb with the kiosk's options and one
// handler that answers a fixed JSON body, with no routing, session or
// database. Usage: kiosk-bench-raw PORT THREADS
#include <civetweb.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile std::sig_atomic_t g_stop = 0;

// The whole answer, headers and body, in one write: the fastest a CivetWeb
// handler can answer (headers and body written apart are about half as fast).
int answer(mg_connection* conn, void*) {
  static const std::string kAnswer = [] {
    const std::string body =
        "{\"items\":[{\"id\":1,\"protocol\":\"INPS.0000.2026.0000001\",\"status\":\"aperta\"}],"
        "\"total\":1}";
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  mg_write(conn, kAnswer.data(), kAnswer.size());
  return 200;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: kiosk-bench-raw PORT THREADS\n", stderr);
    return 2;
  }
  const std::string listen = std::string("127.0.0.1:") + argv[1];
  const char* options[] = {"listening_ports",
                           listen.c_str(),
                           "num_threads",
                           argv[2],
                           "enable_keep_alive",
                           "yes",
                           "tcp_nodelay",
                           "1",
                           nullptr};
  mg_callbacks callbacks{};
  mg_context* ctx = mg_start(&callbacks, nullptr, options);
  if (!ctx) return 1;
  mg_set_request_handler(ctx, "/", answer, nullptr);
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::printf("listening on http://%s\n", listen.c_str());
  std::fflush(stdout);
  while (!g_stop) pause();
  mg_stop(ctx);
  return 0;
}
