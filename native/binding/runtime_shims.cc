// The addon is built without exceptions and links libstdc++ statically. These
// definitions stand in for libstdc++'s throwing helpers, its assertion handler
// and operator new, so the link does not pull in the exception runtime,
// std::random_device and the unwinder, which need a newer glibc (2.32-2.36)
// than the rest of the addon (test/glibc.test.mjs holds the floor).
// Running out of memory or a length error is fatal either way under
// -fno-exceptions; here it aborts with a message.
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "netwright: fatal: %s\n", what);
  std::abort();
}
}  // namespace

// libc++ (the musl prebuilds, built with zig) declares its own helpers inline and aborts
// in them under -fno-exceptions: these are libstdc++'s alone.
#if defined(__GLIBCXX__)
namespace std {
void __throw_bad_alloc() { fatal("out of memory"); }
void __throw_bad_array_new_length() { fatal("bad array new length"); }
void __throw_length_error(const char* what) { fatal(what); }
void __throw_logic_error(const char* what) { fatal(what); }
void __throw_out_of_range(const char* what) { fatal(what); }
void __throw_out_of_range_fmt(const char* what, ...) { fatal(what); }
void __throw_invalid_argument(const char* what) { fatal(what); }
void __throw_bad_function_call() { fatal("bad function call"); }
// _GLIBCXX_ASSERTIONS (which keeps std::string's members out of libstdc++.a) reports here.
void __glibcxx_assert_fail(const char* file, int line, const char* function, const char* condition) noexcept {
  std::fprintf(stderr, "%s:%d: %s: assertion '%s' failed\n", file, line, function, condition);
  fatal("libstdc++ assertion");
}
}  // namespace std
#endif

void* operator new(std::size_t size) {
  void* p = std::malloc(size ? size : 1);
  if (!p) fatal("out of memory");
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return std::malloc(size ? size : 1); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return std::malloc(size ? size : 1); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

// libstdc++'s shared_ptr reads glibc's __libc_single_threaded (GLIBC_2.32) to
// skip atomic reference counts in single-threaded processes. Our own, always 0
// ("threads may exist"), binds inside the addon instead: the counts stay
// atomic, which is correct everywhere (Node runs worker threads).
extern "C" {
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
}
