#include <csignal>
#include <cstdlib>

#include "harness.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int ran = 0, failedTests = 0;
  for (const auto& t : nwtest::registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    int before = nwtest::failures();
    std::fprintf(stderr, "  %s\n", t.name);
    try {
      t.fn();
    } catch (const nwtest::RequireFailed&) {
    }
    ran++;
    if (nwtest::failures() != before) failedTests++;
  }
  std::fprintf(stderr, "%d tests, %d failed, %d failed checks\n", ran, failedTests, nwtest::failures());
  return failedTests || ran == 0 ? 1 : 0;
}
