#include "config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace kiosk::config {
namespace {

// One setting: its INI key, its command-line name (if any) and how to apply it.
struct Setting {
  std::string key;     // "server.listen"
  const char* option;  // "listen", or nullptr when only the file sets it
  std::function<bool(Config&, const std::string&)> apply;  // false: bad value
};

std::function<bool(Config&, const std::string&)> integer(int Config::*field, int min, int max) {
  return [field, min, max](Config& c, const std::string& text) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      return false;
    }
    c.*field = value;
    return true;
  };
}

std::function<bool(Config&, const std::string&)> policyInt(int domain::AuthPolicy::*field,
                                                           int scale,
                                                           int min,
                                                           int max) {
  return [field, scale, min, max](Config& c, const std::string& text) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      return false;
    }
    c.auth.*field = value * scale;
    return true;
  };
}

std::function<bool(Config&, const std::string&)> text(std::string Config::*field,
                                                      bool allow_empty) {
  return [field, allow_empty](Config& c, const std::string& value) {
    if (!allow_empty && value.empty()) return false;
    c.*field = value;
    return true;
  };
}

bool number(const std::string& text, int min, int max, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

bool boolean(const std::string& text, bool& out) {
  if (text != "true" && text != "false") return false;
  out = text == "true";
  return true;
}

// The keys of one SMTP server section ([mail] or [pec]).
void addMailSection(std::vector<Setting>& all,
                    const std::string& section,
                    notify::MailSettings Config::*member) {
  auto text_field = [member](std::string notify::MailSettings::*field) {
    return [member, field](Config& c, const std::string& v) {
      (c.*member).*field = v;
      return true;
    };
  };
  all.push_back({section + ".url", nullptr, [member](Config& c, const std::string& v) {
                   (c.*member).url = v;
                   return v.empty() || v.starts_with("smtp://") || v.starts_with("smtps://");
                 }});
  all.push_back({section + ".username", nullptr, text_field(&notify::MailSettings::username)});
  all.push_back({section + ".password", nullptr, text_field(&notify::MailSettings::password)});
  all.push_back({section + ".from", nullptr, text_field(&notify::MailSettings::from)});
  all.push_back({section + ".require_tls", nullptr, [member](Config& c, const std::string& v) {
                   return boolean(v, (c.*member).require_tls);
                 }});
  all.push_back({section + ".verify_tls", nullptr, [member](Config& c, const std::string& v) {
                   return boolean(v, (c.*member).verify_tls);
                 }});
}

bool validListen(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int port = -1;
  const auto [end, ec] = std::from_chars(s.data() + colon + 1, s.data() + s.size(), port);
  return ec == std::errc() && end == s.data() + s.size() && port >= 0 && port <= 65535;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = [] {
    std::vector<Setting> list = {
        {"server.listen", "listen",
         [](Config& c, const std::string& v) {
           if (!validListen(v)) return false;
           c.listen = v;
           return true;
         }},
        {"server.screen_listen", nullptr,
         [](Config& c, const std::string& v) {
           if (!v.empty() && !validListen(v)) return false;
           c.screen_listen = v;
           return true;
         }},
        {"server.metrics_token_file", nullptr,
         [](Config& c, const std::string& v) {
           if (v.empty()) return true;
           std::ifstream in(v);
           std::string token;
           if (!(in >> token) || token.size() < 16) return false;  // unreadable, or too short
           c.metrics_token = token;
           return true;
         }},
        {"backup.dir", nullptr, text(&Config::backup_dir, true)},
        {"server.threads", "threads", integer(&Config::threads, 1, 128)},
        {"server.request_timeout_ms", nullptr, integer(&Config::request_timeout_ms, 100, 600000)},
        {"server.max_json_bytes", nullptr, integer(&Config::max_json_bytes, 1024, 1 << 20)},
        {"server.cookie_secure", nullptr,
         [](Config& c, const std::string& v) {
           if (v != "true" && v != "false") return false;
           c.cookie_secure = v == "true";
           return true;
         }},
        {"server.webui_dir", "webui-dir", text(&Config::webui_dir, true)},
        {"database.url", "db", text(&Config::db, false)},
        {"database.busy_timeout_ms", nullptr, integer(&Config::busy_timeout_ms, 0, 600000)},
        {"database.statement_timeout_ms", nullptr,
         integer(&Config::statement_timeout_ms, 100, 600000)},
        {"database.min_free_mb", nullptr, integer(&Config::min_free_mb, 0, 1 << 20)},
        {"fair_use.daily_mb", nullptr, integer(&Config::fair_use_daily_mb, 0, 1 << 20)},
        {"fair_use.sends_per_hour", nullptr, integer(&Config::fair_use_sends_per_hour, 0, 10000)},
        {"session.idle_timeout_seconds", nullptr,
         policyInt(&domain::AuthPolicy::idle_timeout_seconds, 1, 1, 86400)},
        {"session.absolute_lifetime_seconds", nullptr,
         policyInt(&domain::AuthPolicy::absolute_lifetime_seconds, 1, 1, 86400)},
        {"auth.max_failed_attempts", nullptr,
         policyInt(&domain::AuthPolicy::max_failed_attempts, 1, 1, 100)},
        {"auth.lock_minutes", nullptr, policyInt(&domain::AuthPolicy::lock_seconds, 60, 1, 10080)},
        {"auth.attempts_per_minute", nullptr,
         integer(&Config::login_attempts_per_minute, 1, 10000)},
        {"auth.concurrent_logins", nullptr, integer(&Config::concurrent_logins, 1, 64)},
        {"kiosk.branch_code", nullptr, text(&Config::branch_code, false)},
        {"kiosk.branch_name", nullptr, text(&Config::branch_name, false)},
        {"kiosk.kiosk_id", nullptr, text(&Config::kiosk_id, false)},
        {"printer.queue", nullptr, text(&Config::printer_queue, true)},
        {"printer.max_pages", nullptr, integer(&Config::printer_max_pages, 1, 1000)},
        {"scanner.device", nullptr,
         [](Config& c, const std::string& v) {
           c.scanner.device = v;
           return true;
         }},
        {"scanner.mode", nullptr,
         [](Config& c, const std::string& v) {
           c.scanner.mode = v;
           return v == "Color" || v == "Gray";
         }},
        {"scanner.resolution", nullptr,
         [](Config& c, const std::string& v) { return number(v, 50, 600, c.scanner.resolution); }},
        {"scanner.source", nullptr,
         [](Config& c, const std::string& v) {
           c.scanner.source = v;
           return true;
         }},
        {"scanner.timeout_seconds", nullptr,
         [](Config& c, const std::string& v) {
           return number(v, 5, 600, c.scanner.timeout_seconds);
         }},
        {"usb.mount", nullptr, text(&Config::usb_mount, true)},
        {"card.module", nullptr,
         [](Config& c, const std::string& v) {
           c.card.module = v;
           return true;
         }},
        {"card.ca_bundle", nullptr,
         [](Config& c, const std::string& v) {
           c.card.ca_bundle = v;
           return true;
         }},
        {"card.crl", nullptr,
         [](Config& c, const std::string& v) {
           c.card.crl = v;
           return true;
         }},
        {"speech.output", nullptr,
         [](Config& c, const std::string& v) {
           c.speech_output = v;
           return v == "headphones" || v == "loudspeaker";
         }},
        {"speech.record", nullptr,
         [](Config& c, const std::string& v) {
           c.speech_record = v;
           return true;
         }},
        {"card.pin_login", nullptr,
         [](Config& c, const std::string& v) { return boolean(v, c.card.pin_login); }},
        {"receipts.key_file", nullptr, text(&Config::receipt_key_file, true)},
        {"receipts.verify_url", nullptr,
         [](Config& c, const std::string& v) {
           c.verify_url = v;
           return v.empty() || v.starts_with("https://") || v.starts_with("http://");
         }},
        {"ui.idle_seconds", nullptr, integer(&Config::idle_seconds, 10, 3600)},
        {"sms.url", nullptr,
         [](Config& c, const std::string& v) {
           c.sms.url = v;
           return true;
         }},
        {"sms.token", nullptr,
         [](Config& c, const std::string& v) {
           c.sms.token = v;
           return true;
         }},
        {"sms.token_header", nullptr,
         [](Config& c, const std::string& v) {
           c.sms.token_header = v;
           return !v.empty();
         }},
        {"sms.sender", nullptr,
         [](Config& c, const std::string& v) {
           c.sms.sender = v;
           return !v.empty();
         }},
        {"sms.verify_tls", nullptr,
         [](Config& c, const std::string& v) { return boolean(v, c.sms.verify_tls); }},
        {"notify.max_attempts", nullptr,
         [](Config& c, const std::string& v) { return number(v, 1, 100, c.notify.max_attempts); }},
        {"notify.base_delay_seconds", nullptr,
         [](Config& c, const std::string& v) {
           return number(v, 1, 86400, c.notify.base_delay_seconds);
         }},
        {"notify.max_delay_seconds", nullptr,
         [](Config& c, const std::string& v) {
           return number(v, 1, 604800, c.notify.max_delay_seconds);
         }},
        {"notify.lease_seconds", nullptr,
         [](Config& c, const std::string& v) {
           return number(v, 1, 86400, c.notify.lease_seconds);
         }},
        {"notify.send_timeout_seconds", nullptr,
         [](Config& c, const std::string& v) {
           int seconds = 0;
           if (!number(v, 1, 300, seconds)) return false;
           c.mail.timeout_seconds = c.pec.timeout_seconds = c.sms.timeout_seconds = seconds;
           return true;
         }},
        {"notify.poll_seconds", nullptr,
         [](Config& c, const std::string& v) { return number(v, 1, 3600, c.notify_poll_seconds); }},
        {"ui.countdown_seconds", nullptr, integer(&Config::countdown_seconds, 5, 600)},
    };
    addMailSection(list, "mail", &Config::mail);
    addMailSection(list, "pec", &Config::pec);
    return list;
  }();
  return all;
}

po::options_description fileOptions() {
  po::options_description d;
  for (const auto& s : settings()) d.add_options()(s.key.c_str(), po::value<std::string>());
  return d;
}

Result<Config> applySettings(const po::variables_map& file, const po::variables_map& vm) {
  Config c;
  for (const auto& s : settings()) {
    const bool on_cmdline = s.option && vm.count(s.option) && !vm[s.option].defaulted();
    std::string value;
    std::string where;
    if (on_cmdline) {
      value = vm[s.option].as<std::string>();
      where = std::string("--") + s.option;
    } else if (file.count(s.key)) {
      value = file[s.key].as<std::string>();
      where = s.key;
    } else {
      continue;
    }
    if (!s.apply(c, value)) {
      return fail(Error::invalid("bad_config", "invalid value for " + where + ": '" + value + "'"));
    }
  }
  // A reader without CAs would refuse every card; no reader and no PIN, everyone.
  if (!c.card.module.empty() && c.card.ca_bundle.empty()) {
    return fail(Error::invalid("bad_config",
                               "card.module needs card.ca_bundle (the CAs of the "
                               "cards to accept)"));
  }
  if (c.card.module.empty() && !c.card.pin_login) {
    return fail(Error::invalid("bad_config",
                               "card.pin_login = false needs a card reader "
                               "(card.module): else no professional can log in"));
  }
  return c;
}

// A value in double quotes keeps '#' (Boost's parser cuts a line at '#'):
// the quotes are taken off, \" and \\ unescaped, and each '#' inside is carried
// as kHash through Boost's parser and put back after it.
constexpr char kHash = '\x1f';

Result<std::string> unquoteValues(std::istream& in, const std::string& name) {
  std::string out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto first = line.find_first_not_of(" \t");
    const auto eq = line.find('=');
    if (first != std::string::npos && eq != std::string::npos && line[first] != '#' &&
        line[first] != '[' && line[first] != ';') {
      const auto start = line.find_first_not_of(" \t", eq + 1);
      if (start != std::string::npos && line[start] == '"') {
        std::string value;
        std::size_t i = start + 1;
        bool closed = false;
        for (; i < line.size(); ++i) {
          const char c = line[i];
          if (c == '\\' && i + 1 < line.size()) {
            value.push_back(line[++i] == '#' ? kHash : line[i]);
          } else if (c == '"') {
            closed = true;
            ++i;
            break;
          } else {
            value.push_back(c == '#' ? kHash : c);
          }
        }
        const auto rest = line.find_first_not_of(" \t", i);
        if (!closed || (rest != std::string::npos && line[rest] != '#')) {
          return fail(Error::invalid("bad_config", name + ": line " + std::to_string(number) +
                                                       ": a quoted value must end with \""));
        }
        line = line.substr(0, eq + 1) + " " + value;
      }
    }
    out += line;
    out += '\n';
  }
  return out;
}

// Adds one file's settings to `into`, where a setting already there wins
// (Boost's store keeps the first value it is given).
Status storeText(std::istream& in, const std::string& name, po::variables_map& into) {
  auto text = unquoteValues(in, name);
  if (!text) return fail(text.error());
  std::istringstream unquoted(*text);
  po::variables_map file;
  try {
    po::store(po::parse_config_file(unquoted, fileOptions(), false), file);
  } catch (const po::error& e) {
    return fail(Error::invalid("bad_config", name + ": " + e.what()));
  }
  for (auto& [key, value] : file) {
    if (auto* s = boost::any_cast<std::string>(&value.value())) {
      std::replace(s->begin(), s->end(), kHash, '#');
    }
    if (!into.count(key)) into.insert({key, value});
  }
  return {};
}

Result<Config> parseText(std::istream& in, const std::string& name, const po::variables_map& vm) {
  po::variables_map file;
  if (auto st = storeText(in, name, file); !st) return fail(st.error());
  return applySettings(file, vm);
}

// A file holding a mail password or the SMS token must not be readable by
// every user of the box (mode 0640 root:cassetto, as the package installs it).
Status checkSecretsPrivate(const std::string& path) {
  std::ifstream in(path);
  po::variables_map own;
  if (auto st = storeText(in, path, own); !st) return st;
  bool secrets = false;
  for (const char* key : {"mail.password", "pec.password", "sms.token"}) {
    secrets = secrets || (own.count(key) && !own[key].as<std::string>().empty());
  }
  struct stat st {};
  if (secrets && ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
    return fail(Error::invalid("bad_config", path +
                                                 " holds passwords or tokens and is readable by "
                                                 "others: chmod o-rwx " +
                                                 path));
  }
  return {};
}

}  // namespace

po::options_description commonOptions() {
  po::options_description d("Common options");
  d.add_options()("help,h", "show this help")(
      "config", po::value<std::string>(),
      "INI configuration file (see firmware-config/kiosk.conf), then its drop-ins "
      "FILE.d/*.conf in name order (a later value wins)")(
      "db", po::value<std::string>(),
      "database: SQLite file path (default var/kiosk.db), or a PostgreSQL URL "
      "postgresql://USER@HOST:PORT/DB (password from ~/.pgpass or PGPASSFILE). The receipt key "
      "([receipts] key_file) defaults to DB.receipt-key on SQLite; on PostgreSQL to receipt-key "
      "in /var/lib/cassetto-kiosk when installed, else beside the --config file, else in "
      "$XDG_STATE_HOME/cassetto-kiosk (~/.local/state/cassetto-kiosk)");
  return d;
}

po::options_description serveOptions() {
  po::options_description d("serve options");
  d.add_options()("listen", po::value<std::string>(), "HOST:PORT to listen on (127.0.0.1:8080)")(
      "threads", po::value<std::string>(), "worker threads (16)")(
      "webui-dir", po::value<std::string>(), "serve the UI from this folder (development)")(
      "demo", po::bool_switch(), "add the demo accounts when missing");
  return d;
}

Result<Config> resolve(const po::variables_map& vm) {
  if (!vm.count("config")) {
    std::istringstream empty;
    return parseText(empty, "", vm);
  }
  const std::string path = vm["config"].as<std::string>();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(Error::invalid("bad_config", "the configuration " + path + " is not a file"));
  }
  // The shipped file, then its drop-ins (FILE.d/*.conf, in name order), each
  // read after the one before: a later file's value wins. The drop-ins hold
  // the technician's values (provisioning writes 50-provision.conf there), so
  // an upgrade never finds the shipped conffile changed.
  std::vector<std::string> files{path};
  const std::filesystem::path dropins = path + ".d";
  if (std::filesystem::is_directory(dropins, ec)) {
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(dropins, ec)) {
      if (e.path().extension() == ".conf" && e.is_regular_file(ec)) found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  po::variables_map merged;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {  // the last file first: it wins
    std::ifstream in(*it);
    if (!in) return fail(Error::invalid("bad_config", "cannot read configuration file " + *it));
    if (auto st = storeText(in, *it, merged); !st) return fail(st.error());
    if (auto st = checkSecretsPrivate(*it); !st) return fail(st.error());
  }
  auto config = applySettings(merged, vm);
  if (config) config->config_file = path;
  return config;
}

Result<Config> resolveWithText(const std::string& ini_text, const po::variables_map& vm) {
  std::istringstream in(ini_text);
  return parseText(in, "config", vm);
}

}  // namespace kiosk::config
