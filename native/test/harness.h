// A minimal test harness: TEST(name) registers a function, CHECK* record a
// failure and continue, REQUIRE* stop the current test. main() runs every test
// (or those whose names contain argv[1]) and exits non-zero on any failure.
#pragma once
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace nwtest {

struct TestCase {
  const char* name;
  void (*fn)();
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline int& failures() {
  static int n = 0;
  return n;
}

struct RequireFailed {};

inline void fail(const char* file, int line, const std::string& what) {
  failures()++;
  std::fprintf(stderr, "    FAIL %s:%d: %s\n", file, line, what.c_str());
}

template <typename A, typename B>
std::string describe(const char* ea, const char* eb, const A& a, const B& b, const char* op) {
  std::ostringstream s;
  s << ea << " " << op << " " << eb << "  (" << +a << " vs " << +b << ")";
  return s.str();
}
inline std::string describe(const char* ea, const char* eb, const std::string& a, const std::string& b,
                            const char* op) {
  std::ostringstream s;
  s << ea << " " << op << " " << eb << "  (\"" << a << "\" vs \"" << b << "\")";
  return s.str();
}
template <typename T>
const T& printable(const T& v) {
  return v;
}
inline long long printable(const void* p) { return (long long)(uintptr_t)p; }

}  // namespace nwtest

#define NW_CAT2(a, b) a##b
#define NW_CAT(a, b) NW_CAT2(a, b)
#define TEST(name)                                                          \
  static void NW_CAT(test_, name)();                                        \
  static nwtest::Registrar NW_CAT(reg_, name)(#name, &NW_CAT(test_, name)); \
  static void NW_CAT(test_, name)()

#define CHECK(cond) \
  do {              \
    if (!(cond)) nwtest::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)
#define REQUIRE(cond)                                                     \
  do {                                                                    \
    if (!(cond)) {                                                        \
      nwtest::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")");             \
      throw nwtest::RequireFailed{};                                      \
    }                                                                     \
  } while (0)
#define NW_CMP(a, b, op, stop)                                                                                \
  do {                                                                                                       \
    auto&& nw_a = (a);                                                                                       \
    auto&& nw_b = (b);                                                                                       \
    if (!(nw_a op nw_b)) {                                                                                   \
      nwtest::fail(__FILE__, __LINE__,                                                                       \
                   nwtest::describe(#a, #b, nwtest::printable(nw_a), nwtest::printable(nw_b), #op));         \
      if (stop) throw nwtest::RequireFailed{};                                                               \
    }                                                                                                        \
  } while (0)
#define CHECK_EQ(a, b) NW_CMP(a, b, ==, false)
#define CHECK_NE(a, b) NW_CMP(a, b, !=, false)
#define CHECK_LT(a, b) NW_CMP(a, b, <, false)
#define CHECK_LE(a, b) NW_CMP(a, b, <=, false)
#define CHECK_GE(a, b) NW_CMP(a, b, >=, false)
#define CHECK_GT(a, b) NW_CMP(a, b, >, false)
#define REQUIRE_EQ(a, b) NW_CMP(a, b, ==, true)
#define REQUIRE_GE(a, b) NW_CMP(a, b, >=, true)
