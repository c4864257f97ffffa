// The server's wire, for server.cpp only (not a public header): answers
// written in one write, what CivetWeb tells of a request, its own errors in
// the kiosk's words, and the client sockets CivetWeb does not hand out. The
// reasons for each are beside its definition in server_wire.cpp.
#pragma once

#include <civetweb.h>

#include <functional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace kiosk::http {

// POST, PUT, PATCH and DELETE carry a body.
bool hasBody(const std::string& method);
// Whether CivetWeb keeps the connection after this answer.
bool keepsAlive(const mg_request_info* info);
// Status line, security headers and body in one write.
void writeResponse(mg_connection* conn, const Response& res, bool keep, bool head_only);
// writeResponse for the request being answered.
void send(mg_connection* conn, const Request& req, const Response& res);
// Makes CivetWeb close the connection after this answer.
void forceClose(mg_connection* conn);
// The client: the TLS proxy's X-Forwarded-For last hop, else the peer.
std::string clientKey(const mg_request_info* info);
// A framing header sent twice (refused), or nullptr.
const char* repeatedFramingHeader(const mg_request_info* info);
// 400 for a request line whose target is not a path.
Response absoluteUriRefused();
// CivetWeb's own error answer in the kiosk's words.
Response civetwebError(int status, std::string_view reason, bool stopping);

// fn(fd, peer address, peer port) for each connection accepted on
// `local_port`, until it returns true.
using ClientSocketVisit = std::function<bool(int fd, std::string_view addr, int port)>;
void eachClientSocket(int local_port, const ClientSocketVisit& fn);
// The socket of a client connection, or -1 when gone.
int findSocket(const std::string& peer_addr, int peer_port, int local_port);

}  // namespace kiosk::http
