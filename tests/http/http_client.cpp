#include "http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>

#include "core/log.h"
#include "receipts/ed25519_signer.h"
#include "storage/open_store.h"

namespace kiosk::test {
namespace {

std::size_t onBody(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* out) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    static_cast<std::multimap<std::string, std::string>*>(out)->emplace(name, value);
  }
  return size * n;
}

std::string percentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpResponse::errorCode() const {
  auto j = json();
  if (j.is_object() && j.contains("error") && j["error"].contains("code")) {
    return j["error"]["code"].get<std::string>();
  }
  return {};
}

HttpResponse HttpClient::request(const std::string& method,
                                 const std::string& path,
                                 const std::string& body,
                                 std::vector<std::string> headers) {
  return perform(method, path, &body, nullptr, std::move(headers));
}

HttpResponse HttpClient::postForm(const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& fields,
                                  const std::vector<File>& files) {
  if (router_) {
    http::Form form;
    for (const auto& [name, value] : fields) form.fields[name] = value;
    for (const auto& f : files) form.files.push_back({f.field, f.filename, f.data});
    std::vector<std::string> headers = {"Content-Type: multipart/form-data; boundary=x"};
    if (!csrf_token.empty()) headers.push_back("X-CSRF-Token: " + csrf_token);
    return direct("POST", path, "", headers, &form);
  }
  CURL* scratch = curl_easy_init();
  curl_mime* mime = curl_mime_init(scratch);
  for (const auto& [name, value] : fields) {
    curl_mimepart* part = curl_mime_addpart(mime);
    curl_mime_name(part, name.c_str());
    curl_mime_data(part, value.data(), value.size());
  }
  for (const auto& f : files) {
    curl_mimepart* part = curl_mime_addpart(mime);
    curl_mime_name(part, f.field.c_str());
    curl_mime_filename(part, f.filename.c_str());
    curl_mime_data(part, f.data.data(), f.data.size());
  }
  std::vector<std::string> headers;
  if (!csrf_token.empty()) headers.push_back("X-CSRF-Token: " + csrf_token);
  auto res = perform("POST", path, nullptr, mime, headers);
  curl_mime_free(mime);
  curl_easy_cleanup(scratch);
  return res;
}

HttpResponse HttpClient::perform(const std::string& method,
                                 const std::string& path,
                                 const std::string* body_ptr,
                                 void* mime,
                                 std::vector<std::string> headers) {
  const std::string empty;
  const std::string& body = body_ptr ? *body_ptr : empty;
  if (router_) return direct(method, path, body, headers, nullptr);
  HttpResponse res;
  CURL* curl = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (mime) {
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, static_cast<curl_mime*>(mime));
  } else if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_slist* list = nullptr;
  if (!cookie.empty()) headers.push_back("Cookie: " + cookie);
  headers.push_back("Expect:");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &res.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  keepCookie(res);
  return res;
}

// Keeps the session cookie as a browser would.
void HttpClient::keepCookie(const HttpResponse& res) {
  auto [from, to] = res.headers.equal_range("set-cookie");
  for (auto it = from; it != to; ++it) {
    const std::string value = it->second.substr(0, it->second.find(';'));
    if (value.starts_with("kiosk_session=")) {
      cookie = it->second.find("Max-Age=0") != std::string::npos ? "" : value;
    }
  }
}

HttpResponse HttpClient::direct(const std::string& method,
                                const std::string& target,
                                const std::string& body,
                                const std::vector<std::string>& headers,
                                const http::Form* form) {
  http::Request req;
  req.method = method;
  const auto mark = target.find('?');
  req.path = percentDecode(target.substr(0, mark), false);
  if (mark != std::string::npos) {
    std::string_view rest(target);
    rest.remove_prefix(mark + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      req.query[percentDecode(pair.substr(0, eq), true)] =
          eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1), true);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
  }
  for (const auto& h : headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon + 1 == h.size()) continue;  // "Expect:" and the like
    req.headers[h.substr(0, colon)] = h.substr(h.find_first_not_of(' ', colon + 1));
  }
  if (!cookie.empty()) req.headers["Cookie"] = cookie;
  req.body = body;
  req.remote_addr = "127.0.0.1";
  if (form) {
    req.read_form = [copy = *form](const http::FormLimits&) -> Result<http::Form> { return copy; };
  }
  const http::Response out = router_->dispatch(req);
  HttpResponse res;
  res.status = out.status;
  res.body = method == "HEAD" ? "" : out.body;
  res.headers.emplace("content-type", out.content_type);
  for (const auto& [name, value] : out.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    res.headers.emplace(lower, value);
  }
  keepCookie(res);
  return res;
}

HttpResponse HttpClient::send(const std::string& method,
                              const std::string& path,
                              const nlohmann::json& body) {
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (!csrf_token.empty()) headers.push_back("X-CSRF-Token: " + csrf_token);
  return request(method, path, body.is_null() ? "" : body.dump(), headers);
}

HttpResponse HttpClient::loginProfessional(const std::string& cf, const std::string& pin) {
  auto r = send("POST", "/api/session", {{"codice_fiscale", cf}, {"pin", pin}});
  if (r.status == 200) csrf_token = r.json()["csrf_token"].get<std::string>();
  return r;
}

HttpResponse HttpClient::loginStaff(const std::string& user, const std::string& password) {
  auto r = send("POST", "/api/session", {{"username", user}, {"password", password}});
  if (r.status == 200) csrf_token = r.json()["csrf_token"].get<std::string>();
  return r;
}

TestKiosk::TestKiosk(TestKioskOptions options) {
  log::setQuiet(true);
  config::Config c;
  c.listen = "127.0.0.1:0";
  c.db = db_.url();
  c.threads = 4;
  if (options.configure) options.configure(c);
  auto store = storage::openStore(c.db, {c.threads + 2, c.busy_timeout_ms});
  REQUIRE(store);
  if (options.wrap_store) *store = options.wrap_store(std::move(*store));
  const Clock& clock = options.clock ? *options.clock : system_clock_;
  auto signer = receipts::Ed25519Signer::open(dir_.file("receipt.key"));
  REQUIRE(signer);
  app_ = std::make_unique<app::KioskApp>(
      c, app::realPorts(c, std::move(*store), std::move(*signer)), clock);
  REQUIRE(app::seedDemo(app_->store(), app_->auth(), clock));
  REQUIRE(app_->start());
  REQUIRE(app_->port() > 0);
}

TestKiosk::~TestKiosk() { app_->stop(); }

void TestKiosk::addProfessional(const std::string& cf,
                                const std::string& name,
                                const std::string& pec,
                                const std::string& pin) {
  {
    auto tx = app_->store().begin(domain::TxMode::kWrite);
    REQUIRE(tx);
    domain::Professional p;
    p.codice_fiscale = cf;
    p.name = name;
    p.surname = "Prova";
    auto id = (*tx)->insertProfessional(p, 1);
    REQUIRE(id);
    domain::Contacts c;
    c.pec = pec;
    if (!pec.empty()) c.notify = {"pec"};
    REQUIRE((*tx)->addContactsVersion(*id, c, domain::ContactsSource::kArchive, 1));
    REQUIRE((*tx)->commit());
  }
  REQUIRE(app_->auth().setPin(cf, pin));
}

std::int64_t TestKiosk::count(const std::string& sql) const { return db_.number(sql); }
std::string TestKiosk::exec(const std::string& sql) const { return db_.exec(sql); }

}  // namespace kiosk::test
