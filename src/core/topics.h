// The 11 topics (argomenti) of the Comunicazione Bidirezionale, with stable
// codes, in the order of the service. Thread-safe (constant data).
#pragma once

#include <span>
#include <string_view>

namespace kiosk {

struct Topic {
  std::string_view code;   // stable, stored in the database and used by the API
  std::string_view label;  // Italian label for the screen
};

std::span<const Topic> topics();

// nullptr when `code` is not a topic.
const Topic* findTopic(std::string_view code);

}  // namespace kiosk
