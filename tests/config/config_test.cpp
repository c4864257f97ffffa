#include "config/config.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

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

TEST_CASE("the technician's drop-ins in kiosk.conf.d are read after the shipped file", "[config]") {
  // Provisioning writes its values to kiosk.conf.d/ so that the shipped
  // conffile stays as shipped and an upgrade never stops at a dpkg prompt.
  kiosk::test::TempDir dir;
  const std::string conf = dir.file("kiosk.conf");
  std::ofstream(conf)
      << "[kiosk]\nkiosk_id = K01\nbranch_name = Sede INPS\n[server]\nthreads = 16\n";
  std::filesystem::create_directory(conf + ".d");
  std::ofstream(conf + ".d/50-provision.conf")
      << "[kiosk]\nkiosk_id = K07\nbranch_name = \"Sede di Roma #2\"\n";
  std::ofstream(conf + ".d/90-local.conf") << "[kiosk]\nkiosk_id = K09\n";
  std::ofstream(conf + ".d/README") << "not a configuration: [broken\n";
  auto c = kiosk::config::resolve(commandLine({"--config", conf}));
  REQUIRE(c);
  CHECK(c->kiosk_id == "K09");                 // the last drop-in wins
  CHECK(c->branch_name == "Sede di Roma #2");  // a value only the first drop-in sets
  CHECK(c->threads == 16);                     // from the shipped file
  // A command-line option still wins over every file.
  c = kiosk::config::resolve(commandLine({"--config", conf, "--threads", "4"}));
  REQUIRE(c);
  CHECK(c->threads == 4);
  // A bad value in a drop-in is named; so is a drop-in with a secret readable by others.
  std::ofstream(conf + ".d/60-bad.conf") << "[server]\nthreads = many\n";
  c = kiosk::config::resolve(commandLine({"--config", conf}));
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "invalid value for server.threads: 'many'");
  std::filesystem::remove(conf + ".d/60-bad.conf");
  std::ofstream(conf + ".d/70-secrets.conf") << "[sms]\ntoken = Bearer x\n";
  ::chmod((conf + ".d/70-secrets.conf").c_str(), 0644);
  c = kiosk::config::resolve(commandLine({"--config", conf}));
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("70-secrets.conf holds passwords") != std::string::npos);
  ::chmod((conf + ".d/70-secrets.conf").c_str(), 0640);
  CHECK(kiosk::config::resolve(commandLine({"--config", conf})));
}
