#include "core/parallel.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using kiosk::parallelFor;

TEST_CASE("parallelFor runs each piece once and returns when all have ended", "[core]") {
  for (std::size_t count : {0u, 1u, 2u, 5u, 64u}) {
    std::vector<std::atomic<int>> runs(count);
    parallelFor(count, [&](std::size_t i) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      ++runs[i];
    });
    for (auto& r : runs) CHECK(r.load() == 1);
  }
}

TEST_CASE("parallelFor from several threads at once, each gets all its pieces", "[core]") {
  std::vector<std::thread> callers;
  std::atomic<int> total{0};
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        std::atomic<int> mine{0};
        parallelFor(5, [&](std::size_t) { ++mine; });
        if (mine == 5) ++total;
      }
    });
  }
  for (auto& c : callers) c.join();
  CHECK(total == 8 * 50);
}

TEST_CASE("an exception in a piece reaches the caller after every piece ended", "[core]") {
  std::atomic<int> ended{0};
  CHECK_THROWS_AS(parallelFor(5,
                              [&](std::size_t i) {
                                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                ++ended;
                                if (i == 3) throw std::runtime_error("piece 3");
                              }),
                  std::runtime_error);
  CHECK(ended == 5);
}
