// What the subcommands share: option parsing with the configuration, opening
// the database, one-line error reports, secrets from standard input.
#pragma once

#include <boost/program_options.hpp>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "domain/ports/store.h"

namespace kiosk::app {

namespace po = boost::program_options;

struct Parsed {
  po::variables_map vm;
  config::Config config;
};

// Parses `args` for `command`; on --help or an error returns the exit status.
std::expected<Parsed, int> parse(const std::vector<std::string>& args,
                                 const std::string& command,
                                 const std::string& synopsis,
                                 po::options_description own,
                                 const po::positional_options_description& positional = {});

// The configured database, or the exit status after saying why.
// `serving`: the store of a running kiosk (see StoreOptions).
std::expected<std::unique_ptr<domain::Store>, int> open(const config::Config& c,
                                                        const std::string& command,
                                                        bool serving = false);

// Says `e` on one line and answers the exit status (2 for bad input, else 1).
int report(const std::string& command, const Error& e);

// The file of a SQLite database URL ("sqlite:/x.db" or "/x.db").
std::string sqlitePath(std::string db);

// One line from standard input without its line ending.
std::string readSecretLine();

// Run as root (sudo), a command that writes the kiosk's state hands each file
// it wrote to the owner of the folder it sits in (the kiosk's user): else the
// service, which runs as that user, could not open it. No-op otherwise.
void keepFolderOwner(const std::string& file);

}  // namespace kiosk::app
