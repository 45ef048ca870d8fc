#pragma once
// Which kernels the library calls: those of the architecture this translation
// unit is compiled for, unless the program installed others at run time.
//
// A header-only library picks its instruction set from the compiler flags
// (plain g++: SSE2, even on an AVX-512 machine). A program that wants the best
// kernels for the CPU it runs on links the translation units that
// segkit_enable_simd_dispatch() (cmake/segkitSimdDispatch.cmake) adds to it:
// one per instruction set, and one that installs the best table before main().
// segkit::simd::install() is how it (or a program that builds its own tables)
// does that; segkit::simd::active_arch() says what is in use.

#include <atomic>
#include <string>

#include <xsimd/xsimd.hpp>

#include "segkit/core/kernels.hpp"

namespace segkit::simd {

namespace detail {
template <class T>
inline std::atomic<const kernels::Table<T>*> installed{nullptr};
}  // namespace detail

/// Makes every later call of the library use these kernels (both tables must
/// come from the same architecture). Safe to call before any other thread runs.
inline void install(const kernels::Table<float>& f, const kernels::Table<double>& d) {
  detail::installed<float>.store(&f, std::memory_order_release);
  detail::installed<double>.store(&d, std::memory_order_release);
}

/// The kernels in use for T.
template <class T, class Arch = xsimd::default_arch>
const kernels::Table<T>& active() {
  const kernels::Table<T>* t = detail::installed<T>.load(std::memory_order_acquire);
  return t ? *t : kernels::table<Arch, T>();
}

/// The name of the architecture whose kernels are in use (e.g. "avx512bw", "fma3+avx2", "sse2").
template <class Arch = xsimd::default_arch>
std::string active_arch() {
  return active<double, Arch>().arch;
}

}  // namespace segkit::simd
