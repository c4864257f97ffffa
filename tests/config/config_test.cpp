#include "config/config.h"

#include <catch2/catch.hpp>

namespace po = boost::program_options;
using kiosk::config::resolveWithText;

namespace {

po::variables_map commandLine(std::vector<std::string> args) {
  po::options_description all;
  all.add(kiosk::config::commonOptions()).add(kiosk::config::serveOptions());
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).run(), vm);
  po::notify(vm);
  return vm;
}

}  // namespace

TEST_CASE("without a file or options the defaults apply", "[config]") {
  auto c = resolveWithText("", commandLine({}));
  REQUIRE(c);
  CHECK(c->listen == "127.0.0.1:8080");
  CHECK(c->db == "var/kiosk.db");
  CHECK(c->auth.idle_timeout_seconds == 180);
  CHECK(c->auth.absolute_lifetime_seconds == 1800);
  CHECK(c->auth.lock_seconds == 900);
  CHECK(c->auth.max_failed_attempts == 5);
}

TEST_CASE("the file overrides the defaults", "[config]") {
  auto c = resolveWithText(
      "[server]\nlisten = 127.0.0.1:9090\nthreads = 4\n[database]\nurl = /tmp/x.db\n"
      "[session]\nidle_timeout_seconds = 60\n[auth]\nlock_minutes = 5\n",
      commandLine({}));
  REQUIRE(c);
  CHECK(c->listen == "127.0.0.1:9090");
  CHECK(c->threads == 4);
  CHECK(c->db == "/tmp/x.db");
  CHECK(c->auth.idle_timeout_seconds == 60);
  CHECK(c->auth.lock_seconds == 300);
}

TEST_CASE("the command line wins over the file", "[config]") {
  auto c = resolveWithText("[server]\nlisten = 127.0.0.1:9090\n[database]\nurl = /tmp/file.db\n",
                           commandLine({"--listen", "127.0.0.1:7070", "--db", "/tmp/cli.db"}));
  REQUIRE(c);
  CHECK(c->listen == "127.0.0.1:7070");
  CHECK(c->db == "/tmp/cli.db");
}

TEST_CASE("quoted values keep the hash sign, quotes and backslashes, unquoted ones lose a comment",
          "[config]") {
  auto c = resolveWithText(
      "[kiosk]\nbranch_name = \"Sede di Roma #2 \\\"Tuscolano\\\"\"  # the branch\n"
      "kiosk_id = K01 # comment\n[pec]\npassword = \"pa#ss \\\\ word\"\n",
      commandLine({}));
  REQUIRE(c);
  CHECK(c->branch_name == "Sede di Roma #2 \"Tuscolano\"");
  CHECK(c->kiosk_id == "K01");
  CHECK(c->pec.password == "pa#ss \\ word");
  auto open = resolveWithText("[kiosk]\nbranch_name = \"Sede\n", commandLine({}));
  REQUIRE_FALSE(open);
  CHECK(open.error().message.find("line 2") != std::string::npos);
}

TEST_CASE("a folder as --config is a configuration error", "[config]") {
  auto c = kiosk::config::resolve(commandLine({"--config", "/tmp"}));
  REQUIRE_FALSE(c);
  CHECK(c.error().reason == "bad_config");
}

TEST_CASE("an unknown key in the file is a configuration error", "[config]") {
  auto c = resolveWithText("[server]\nlissen = 127.0.0.1:9090\n", commandLine({}));
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("lissen") != std::string::npos);
}

TEST_CASE("a bad value names the key and the value", "[config]") {
  auto c = resolveWithText("[server]\nthreads = many\n", commandLine({}));
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "invalid value for server.threads: 'many'");
  auto listen = resolveWithText("", commandLine({"--listen", "8080"}));
  REQUIRE_FALSE(listen);
  CHECK(listen.error().message == "invalid value for --listen: '8080'");
}

TEST_CASE("the shipped kiosk.conf is valid and matches the defaults", "[config]") {
  po::variables_map vm;
  po::options_description all = kiosk::config::commonOptions();
  po::store(po::command_line_parser(std::vector<std::string>{
                                        "--config", KIOSK_SOURCE_DIR "/firmware-config/kiosk.conf"})
                .options(all)
                .run(),
            vm);
  auto c = kiosk::config::resolve(vm);
  REQUIRE(c);
  const kiosk::config::Config defaults;
  CHECK(c->listen == defaults.listen);
  CHECK(c->threads == defaults.threads);
  CHECK(c->auth.idle_timeout_seconds == defaults.auth.idle_timeout_seconds);
  CHECK(c->auth.lock_seconds == defaults.auth.lock_seconds);
}
