// Phase timings of one load (LoadReport::phases, `bpfseal load --timings`).
// Whoever wants the phases opens a Collector for the thread (loadSealed, the
// CLI around reading the file); the code of each phase calls record() with a
// Stopwatch it started, wherever it is, core's reader included, so no timing
// parameter is threaded through every signature. Without a Collector,
// record() does nothing but read the clock. Internal header (not installed).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace bpfseal::timings {

struct Phase {
  std::string name;
  double ms = 0;
};

inline thread_local std::vector<Phase> *current = nullptr;

class Collector {
public:
  explicit Collector(std::vector<Phase> &phases) : previous_(current) { current = &phases; }
  ~Collector() { current = previous_; }
  Collector(const Collector &) = delete;
  Collector &operator=(const Collector &) = delete;

private:
  std::vector<Phase> *previous_;
};

class Stopwatch {
public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }
  // Records the time since construction (or the last record) as `name`.
  void record(std::string name) {
    if (current)
      current->push_back({std::move(name), ms()});
    start_ = std::chrono::steady_clock::now();
  }

private:
  std::chrono::steady_clock::time_point start_;
};

} // namespace bpfseal::timings
