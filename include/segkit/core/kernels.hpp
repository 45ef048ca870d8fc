#pragma once
// The SIMD kernels under the hot loops (Lloyd's assignment, the silhouette's
// distance sums), each templated on the xsimd architecture.
//
// Why templated on the architecture: a program that wants run-time dispatch
// compiles this header once per instruction set, in translation units of
// their own built with that set's flags (cmake/segkitSimdDispatch.cmake), and
// installs the best table for the CPU it runs on (core/dispatch.hpp). Every
// function here therefore has the architecture in its signature, takes raw
// pointers, allocates nothing and calls nothing but xsimd and other templates
// of this file: a copy compiled with AVX-512 flags is then a different symbol
// from the baseline one, never merged with it by the linker.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#if defined(__x86_64__) || defined(_M_X64)
// Every instruction set's intrinsics are declared whatever the flags (GCC, Clang, MSVC);
// a function uses only those of its own architecture.
#include <immintrin.h>
#endif

namespace segkit::kernels {
/// AVX2 + FMA as the AVX-512 kernels use it for centres that fill half their batch: a
/// type of its own, so that every function it instantiates (segkit's and xsimd's) is
/// named for AVX-512. Under xsimd's fma3<avx2> they would share their names with the
/// AVX2 kernels, which a dispatching program compiles with other flags, and the
/// linker could hand this unit's AVX-512-built copies to an AVX2-only CPU.
#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
struct avx2_within_avx512bw : xsimd::fma3<xsimd::avx2> {
  static constexpr char const* name() noexcept { return "fma3+avx2 within avx512bw"; }
};
#endif
}  // namespace segkit::kernels

#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
namespace xsimd::types {
XSIMD_DECLARE_SIMD_REGISTER_ALIAS(segkit::kernels::avx2_within_avx512bw, fma3<avx2>);
}  // namespace xsimd::types
#endif

namespace segkit::kernels {

/// Centre columns are padded to a multiple of this many lanes, the widest batch
/// of any architecture (64 bytes), so one transposed layout serves every table.
template <class T>
inline constexpr std::size_t pad_lanes = 64 / sizeof(T);

template <class T>
constexpr std::size_t padded(std::size_t k) {
  return (k + pad_lanes<T> - 1) / pad_lanes<T> * pad_lanes<T>;
}

/// x * y + z rounded once. xsimd 8 has no AVX-512 fma: its generic x * y + z became
/// one instruction only where the compiler chose to contract it (not in a sanitizer
/// build), so the AVX-512 kernels' sums, and the labels of near ties, depended on the
/// compiler's mood. The intrinsic makes every build compute the same bits.
template <class Arch, class T>
inline xsimd::batch<T, Arch> fused_multiply_add(const xsimd::batch<T, Arch>& x, const xsimd::batch<T, Arch>& y,
                                                const xsimd::batch<T, Arch>& z) {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    if constexpr (sizeof(T) == 8)
      return _mm512_fmadd_pd(x, y, z);
    else
      return _mm512_fmadd_ps(x, y, z);
  } else
#endif
  {
    return xsimd::fma(x, y, z);
  }
}

/// Architectures with 32 vector registers can hold a 4 x 4 block of accumulators.
template <class Arch>
inline constexpr bool has_32_registers = std::is_base_of_v<xsimd::avx512f, Arch>;

/// The architecture of half this one's width, where segkit uses it: AVX2 + FMA under
/// AVX-512 (every AVX-512 CPU has both). A block of k centres that fills only half a
/// batch (k = 8 floats on AVX-512) runs on it: the same sums, lane for lane, in half the
/// instructions, and its smallest-of-a-row reduction one step shorter.
template <class Arch>
struct narrower {
  using type = void;
};
#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
template <class Arch>
requires std::is_base_of_v<xsimd::avx512f, Arch>
struct narrower<Arch> {
  using type = avx2_within_avx512bw;
};
#endif

/// Whether k centres fit one batch of Arch's narrower architecture (and Arch has one).
template <class Arch, class T>
constexpr bool fits_narrower(std::size_t k) {
  if constexpr (std::is_void_v<typename narrower<Arch>::type>)
    return false;
  else
    return k <= xsimd::batch<T, typename narrower<Arch>::type>::size;
}

/// What a tile sums over the features of a row and a centre.
enum class Sum {
  squared_difference,  ///< (x - c)^2: the distance itself
  product,             ///< (x - shift) * c: the inner product, for nearest_centres_by_products
};

/// A prefetch of the cache line at `address` (any address: nothing is read from it).
inline void prefetch(std::uintptr_t address) {
#if defined(__GNUC__)
  __builtin_prefetch(reinterpret_cast<const void*>(address));
#else
  (void)address;
#endif
}

/// Prefetches of the cache lines of the `bytes` bytes from `address`.
inline void prefetch_lines(std::uintptr_t address, std::size_t bytes) {
  for (std::size_t off = 0; off < bytes; off += 64) prefetch(address + off);
}

/// Makes the compiler keep `value` in a register from here on (it cannot fold the
/// load that made it into each instruction that uses it).
template <class Batch>
inline void in_register(Batch& value) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+v"(value.data));
#else
  (void)value;
#endif
}

#if defined(__GNUC__)
#define SEGKIT_ALWAYS_INLINE [[gnu::always_inline]] inline
// Before each loop over a tile's rows, batches or lanes (a bound known when compiling):
// unrolled at -O2 too. GCC 12 at -O2 left such loops rolled, so a tile's accumulators and
// a transposition's batches lived on the stack, each FMA waiting for the store of the one
// before. A consumer built with -O2 (CMake's RelWithDebInfo, Debian's packages) ran Lloyd
// 2-3.6x slower than at -O3; now within 5-20 % (Zen 3, one thread, ms per iteration,
// -O2 before / after / -O3: 1,000,000 x 16 x 8 float 33.4 / 10.5 / 9.3, double 28.8 / 16.0
// / 14.0; 100,000 x 8 x 8 float 1.64 / 0.84 / 0.70).
#define SEGKIT_UNROLL _Pragma("GCC unroll 16")
#else
#define SEGKIT_ALWAYS_INLINE inline
#define SEGKIT_UNROLL
#endif

/// One feature j of squared_distance_tile: the products or squared differences of the R
/// rows' feature and the KB batches of centres at col, added to acc (First: acc set to
/// them, the same bits as adding them to zero, with no zeros to make).
template <class Arch, class T, std::size_t R, std::size_t KB, Sum S, bool First>
SEGKIT_ALWAYS_INLINE void tile_feature(const T* X, std::size_t d, std::size_t j, const T* col, const T* shift,
                                       xsimd::batch<T, Arch> (&acc)[R][KB]) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  batch c[KB];
  SEGKIT_UNROLL
  for (std::size_t b = 0; b < KB; ++b) {
    c[b] = batch::load_aligned(col + b * W);
    // Held in a register: GCC folds the load into each row's subtraction instead,
    // R loads of it per feature, more than the load ports issue beside the FMAs
    // (3-5 % of the kernel on Zen 4).
    in_register(c[b]);
  }
  SEGKIT_UNROLL
  for (std::size_t r = 0; r < R; ++r) {
    // Shifted here, one subtraction per row and feature, not copied first (a copy
    // of the rows cost more than the products saved).
    const batch xj(S == Sum::product ? X[r * d + j] - shift[j] : X[r * d + j]);
    SEGKIT_UNROLL
    for (std::size_t b = 0; b < KB; ++b) {
      if constexpr (S == Sum::product) {
        acc[r][b] = First ? xj * c[b] : fused_multiply_add<Arch, T>(xj, c[b], acc[r][b]);
      } else {
        // Summed as (x - c)^2 feature by feature, never as |x|^2 - 2xc + |c|^2,
        // which cancels in float on uncentred data.
        const batch diff = xj - c[b];
        acc[r][b] = First ? diff * diff : fused_multiply_add<Arch, T>(diff, diff, acc[r][b]);
      }
    }
  }
}

/// R rows against KB batches of centres: R x KB independent accumulator chains
/// (one chain per row is latency-bound at small k), each centre load reused R times.
template <class Arch, class T, std::size_t R, std::size_t KB, Sum S = Sum::squared_difference>
void squared_distance_tile(const T* X, std::size_t d, const T* ct, std::size_t k_pad, T* out, const T* shift = nullptr,
                           const T* norms = nullptr) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  // The rows four tiles ahead, which neither a stream of single-row broadcasts nor the
  // hardware prefetcher brings in early enough. Short rows all at once here; long rows
  // a cache line of each at a time in the feature loop: a burst of prefetches for them
  // held up the loads (Intel Xeon, 2 threads: 200,000 x 64 x 32 7 % slower), spread
  // out they hide the memory (Zen 4, one thread, 200,000 x 64 x 32 in double: nearest
  // two 35 -> 23.5 ms, 22.8 with X in cache). Addresses, not pointers into X: past
  // the end of X one is never formed as a pointer (a prefetch of any address is harmless).
  const std::uintptr_t ahead = reinterpret_cast<std::uintptr_t>(X) + 4 * R * d * sizeof(T);
  constexpr std::size_t line = 64 / sizeof(T);
  const bool short_rows = R * d * sizeof(T) <= 1024;
  if (short_rows) prefetch_lines(ahead, R * d * sizeof(T));
  batch acc[R][KB];
  if (d == 0) {
    SEGKIT_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      SEGKIT_UNROLL
      for (std::size_t b = 0; b < KB; ++b) acc[r][b] = batch(T(0));
    }
  } else {
    if (!short_rows)
      for (std::size_t r = 0; r < R; ++r) prefetch(ahead + r * d * sizeof(T));
    tile_feature<Arch, T, R, KB, S, true>(X, d, 0, ct, shift, acc);
  }
  const T* col = ct + k_pad;
  if (short_rows) {
    for (std::size_t j = 1; j < d; ++j, col += k_pad) tile_feature<Arch, T, R, KB, S, false>(X, d, j, col, shift, acc);
  } else {
    for (std::size_t j = 1; j < d; ++j, col += k_pad) {
      if (j % line == 0)
        for (std::size_t r = 0; r < R; ++r) prefetch(ahead + (r * d + j) * sizeof(T));
      tile_feature<Arch, T, R, KB, S, false>(X, d, j, col, shift, acc);
    }
  }
  SEGKIT_UNROLL
  for (std::size_t r = 0; r < R; ++r) {
    SEGKIT_UNROLL
    for (std::size_t b = 0; b < KB; ++b) {
      if constexpr (S == Sum::product)  // |c|^2 - 2 (x - shift).c, stored at once: no pass of its own
        (batch::load_aligned(norms + b * W) - (acc[r][b] + acc[r][b])).store_aligned(out + r * k_pad + b * W);
      else
        acc[r][b].store_aligned(out + r * k_pad + b * W);
    }
  }
}

/// Columns [0, k_cols) of the R rows' distances (k_cols a multiple of W, k_pad the stride).
template <class Arch, class T, std::size_t R, Sum S = Sum::squared_difference>
void squared_distance_rows(const T* X, std::size_t d, const T* ct, std::size_t k_cols, std::size_t k_pad, T* out,
                           const T* shift = nullptr, const T* norms = nullptr) {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  constexpr std::size_t KB = has_32_registers<Arch> ? 4 : 2;
  std::size_t c = 0;
  for (; c + KB * W <= k_cols; c += KB * W)
    squared_distance_tile<Arch, T, R, KB, S>(X, d, ct + c, k_pad, out + c, shift, norms + c);
  // The batches left over in one tile, not one tile each: R chains alone wait on the
  // FMA latency (the same sums either way, lane by lane).
  switch ((k_cols - c) / W) {
    case 3:
      squared_distance_tile<Arch, T, R, 3, S>(X, d, ct + c, k_pad, out + c, shift, norms + c);
      break;
    case 2:
      squared_distance_tile<Arch, T, R, 2, S>(X, d, ct + c, k_pad, out + c, shift, norms + c);
      break;
    case 1:
      squared_distance_tile<Arch, T, R, 1, S>(X, d, ct + c, k_pad, out + c, shift, norms + c);
      break;
    default:
      break;
  }
}

/// The columns of the distances a kernel computes for k centres: whole batches of
/// this architecture, not the padding of the widest one (with 8 float lanes, k = 8
/// is one batch, not the two of a 64-byte row).
template <class Arch, class T>
constexpr std::size_t computed_columns(std::size_t k) {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  return (k + W - 1) / W * W;
}

/// Squared Euclidean distances of the m rows X (m x d, row-major) to the k
/// centres given transposed in ct (d x k_pad, 64-byte aligned, k_pad =
/// padded(k)); out (m x k_pad, 64-byte aligned) gets row i's distances at
/// out[i * k_pad ...]. Columns k and beyond are scratch, never meant to be read.
/// (With Sum::product, the inner products of the shifted rows and the centres instead.)
template <class Arch, class T, Sum S>
void row_tiles(const T* X, std::size_t m, std::size_t d, const T* ct, std::size_t k, std::size_t k_pad, T* out,
               const T* shift, const T* norms) {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
  const std::size_t k_cols = computed_columns<Arch, T>(k);
  std::size_t i = 0;
  if (k_cols == W) {
    // One batch of centres: eight rows at a time to fill the pipeline.
    for (; i + 8 <= m; i += 8)
      squared_distance_tile<Arch, T, 8, 1, S>(X + i * d, d, ct, k_pad, out + i * k_pad, shift, norms);
  } else {
    for (; i + 4 <= m; i += 4)
      squared_distance_rows<Arch, T, 4, S>(X + i * d, d, ct, k_cols, k_pad, out + i * k_pad, shift, norms);
  }
  for (; i < m; ++i)
    squared_distance_rows<Arch, T, 1, S>(X + i * d, d, ct, k_cols, k_pad, out + i * k_pad, shift, norms);
}

template <class Arch, class T>
void squared_distances(const T* X, std::size_t m, std::size_t d, const T* ct, std::size_t k, std::size_t k_pad,
                       T* out) {
  if constexpr (!std::is_void_v<typename narrower<Arch>::type>)
    if (fits_narrower<Arch, T>(k))
      return row_tiles<typename narrower<Arch>::type, T, Sum::squared_difference>(X, m, d, ct, k, k_pad, out, nullptr,
                                                                                  nullptr);
  row_tiles<Arch, T, Sum::squared_difference>(X, m, d, ct, k, k_pad, out, nullptr, nullptr);
}

/// Lane i of the permutation that swaps lanes `half` apart (i xor half).
template <std::size_t Half>
struct SwapLanes {
  static constexpr unsigned get(unsigned i, unsigned) { return i ^ static_cast<unsigned>(Half); }
};

/// The smallest lane of v, in every lane: log2(W) swap-and-min steps in
/// registers (a store and a scalar scan cost more than the distances at small k).
template <class Arch, class T, std::size_t Half = xsimd::batch<T, Arch>::size / 2>
SEGKIT_ALWAYS_INLINE xsimd::batch<T, Arch> all_lanes_min(const xsimd::batch<T, Arch>& v) {
  if constexpr (Half == 0) {
    return v;
  } else {
    using index = xsimd::batch<xsimd::as_unsigned_integer_t<T>, Arch>;
    const auto swapped = xsimd::swizzle(v, xsimd::make_batch_constant<index, SwapLanes<Half>>());
    return all_lanes_min<Arch, T, Half / 2>(xsimd::select(swapped < v, swapped, v));
  }
}

/// Bit l set where lane l of b is true.
template <class Arch, class T>
SEGKIT_ALWAYS_INLINE unsigned lane_bits(const xsimd::batch_bool<T, Arch>& b) {
  constexpr std::size_t W = xsimd::batch<T, Arch>::size;
#if defined(__x86_64__) || defined(_M_X64)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    return static_cast<unsigned>(b.data);
  } else if constexpr (std::is_base_of_v<xsimd::avx, Arch>) {
    if constexpr (sizeof(T) == 8)
      return static_cast<unsigned>(_mm256_movemask_pd(b));
    else
      return static_cast<unsigned>(_mm256_movemask_ps(b));
  } else if constexpr (std::is_base_of_v<xsimd::sse2, Arch>) {
    if constexpr (sizeof(T) == 8)
      return static_cast<unsigned>(_mm_movemask_pd(b));
    else
      return static_cast<unsigned>(_mm_movemask_ps(b));
  } else
#endif
  {
    unsigned bits = 0;
    SEGKIT_UNROLL
    for (std::size_t l = 0; l < W; ++l) bits |= static_cast<unsigned>(b.get(l)) << l;
    return bits;
  }
}

/// Lanes whose index has bit H set.
template <std::size_t H>
struct LaneHasBit {
  static constexpr bool get(unsigned i, unsigned) { return (i & H) != 0; }
};

/// v[0..W) transposed in registers: lane l of v[r] becomes lane r of v[l]. log2(W)
/// rounds of swapping half blocks (two swizzles and two blends per pair of batches);
/// under AVX, the unpacks, shuffles and 128-bit permutes of the usual transposition
/// instead: xsimd's swizzles are lane-crossing permutes and variable blends, which on
/// Zen 3 made the float 8 x 8 transposition (24 of each) half the cost of the nearest
/// centre at 1,000,000 x 16 x 8 (one thread, nearest 7.8 -> 6.1 ns a row).
template <class Arch, class T, std::size_t H = xsimd::batch<T, Arch>::size / 2>
SEGKIT_ALWAYS_INLINE void transpose_lanes(xsimd::batch<T, Arch>* v) {
#if defined(__AVX__)
  if constexpr (H == xsimd::batch<T, Arch>::size / 2 && std::is_base_of_v<xsimd::avx, Arch> &&
                !std::is_base_of_v<xsimd::avx512f, Arch>) {
    if constexpr (sizeof(T) == 4) {
      __m256 t[8], u[8];
      SEGKIT_UNROLL
      for (std::size_t r = 0; r < 8; r += 2) {
        t[r] = _mm256_unpacklo_ps(v[r], v[r + 1]);
        t[r + 1] = _mm256_unpackhi_ps(v[r], v[r + 1]);
      }
      SEGKIT_UNROLL
      for (std::size_t r = 0; r < 8; r += 4) {
        u[r] = _mm256_shuffle_ps(t[r], t[r + 2], 0x44);
        u[r + 1] = _mm256_shuffle_ps(t[r], t[r + 2], 0xEE);
        u[r + 2] = _mm256_shuffle_ps(t[r + 1], t[r + 3], 0x44);
        u[r + 3] = _mm256_shuffle_ps(t[r + 1], t[r + 3], 0xEE);
      }
      SEGKIT_UNROLL
      for (std::size_t r = 0; r < 4; ++r) {
        v[r] = _mm256_permute2f128_ps(u[r], u[r + 4], 0x20);
        v[r + 4] = _mm256_permute2f128_ps(u[r], u[r + 4], 0x31);
      }
    } else {
      const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]);
      const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
      v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
      v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
      v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
      v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    }
    return;
  }
#endif
  if constexpr (H > 0) {
    using batch = xsimd::batch<T, Arch>;
    using index = xsimd::batch<xsimd::as_unsigned_integer_t<T>, Arch>;
    constexpr std::size_t W = batch::size;
    constexpr auto swap = xsimd::make_batch_constant<index, SwapLanes<H>>();
    constexpr auto high = xsimd::make_batch_bool_constant<batch, LaneHasBit<H>>();
    SEGKIT_UNROLL
    for (std::size_t r = 0; r < W; ++r) {
      if (r & H) continue;
      const batch a = v[r], b = v[r + H];
      v[r] = xsimd::select(high, xsimd::swizzle(b, swap), a);
      v[r + H] = xsimd::select(high, b, xsimd::swizzle(a, swap));
    }
    transpose_lanes<Arch, T, H / 2>(v);
  }
}

/// Batches of centres up to which transposed_minima beats reducing each row across its
/// lanes (for the nearest two, with Two): per row and batch it costs a share of a
/// transposition and W lane-wise steps, where the reduction costs log2(W) steps two or
/// three times per row, whatever the batches. Zen 4, AVX-512, one thread, against the
/// reduction: the nearest two in float 200,000 x 64 x 32 14.4 -> 12.1 ms, 1,000,000 x 16 x 64
/// 48 -> 39 ms, 200,000 x 16 x 128 (8 batches) 16.5 -> 15.2 ms; in double 200,000 x 32 x 48
/// (6 batches) 19.1 -> 18.0 ms; the nearest alone 7 % faster up to 4 batches, 2 % slower at 8.
template <bool Two>
inline constexpr std::size_t transposed_batches = Two ? 8 : 4;

/// One batch of centres (the first at c0) in transposed_minima: v[c] holds centre c0 + c's
/// value for W rows. The first batch starts at its second centre (bmin, bidx hold the
/// first) and numbers its centres by constants.
template <class Arch, class T, bool Two, bool First>
SEGKIT_ALWAYS_INLINE void take_centres(const xsimd::batch<T, Arch>* v, std::size_t c0, xsimd::batch<T, Arch>& bmin,
                                       xsimd::batch<T, Arch>& bidx, xsimd::batch<T, Arch>& bsecond) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  // (Centre numbers are exact in T: k < 2^24 even in float.)
  const batch base(static_cast<T>(c0));
  SEGKIT_UNROLL
  for (std::size_t c = First ? 1 : 0; c < W; ++c) {
    const auto closer = v[c] < bmin;
    if constexpr (Two) bsecond = xsimd::select(closer, bmin, xsimd::min(bsecond, v[c]));
    bmin = xsimd::select(closer, v[c], bmin);
    const batch number(static_cast<T>(c));
    bidx = xsimd::select(closer, First ? number : base + number, bidx);
  }
}

/// row_minima and row_two_minima for rows [0, m - m % W) when the k centres fill at
/// most transposed_batches<Two> batches: W rows at a time, each batch transposed so that a
/// batch holds one centre's distance for W rows; the smallest, its centre and the second
/// smallest are then taken across the centres, lane by lane, in centre order (a strict <
/// keeps the first centre of a tie, as the scan does). Every lane, not just the k
/// centres': the padding columns hold +infinity, never closer (nor a second smaller), and
/// a bound known when compiling lets the loop unroll with v in registers and each centre
/// number a constant (a loop to k kept v on the stack and converted c to T each time:
/// 1,000,000 x 16 x 8 in float, one thread, nearest 6.2 -> 5.8 ns a row). (At 1,000,000 x 16
/// x 8 in double: 5 % of a fit's time in perf, against 20 % for reducing each row across its
/// lanes.) Returns the rows done.
template <class Arch, class T, bool Two>
std::size_t transposed_minima(const T* values, std::size_t m, std::size_t k_cols, std::size_t k_pad,
                              std::size_t* labels, T* best, T* second) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  std::size_t i = 0;
  for (; i + W <= m; i += W) {
    batch v[W];
    SEGKIT_UNROLL
    for (std::size_t r = 0; r < W; ++r) v[r] = batch::load_aligned(values + (i + r) * k_pad);
    transpose_lanes<Arch, T>(v);
    // The first column as it is: a row of NaN keeps NaN, and centre 0.
    batch bmin = v[0], bidx(T(0)), bsecond(std::numeric_limits<T>::infinity());
    take_centres<Arch, T, Two, true>(v, 0, bmin, bidx, bsecond);
    for (std::size_t c0 = W; c0 < k_cols; c0 += W) {
      SEGKIT_UNROLL
      for (std::size_t r = 0; r < W; ++r) v[r] = batch::load_aligned(values + (i + r) * k_pad + c0);
      transpose_lanes<Arch, T>(v);
      take_centres<Arch, T, Two, false>(v, c0, bmin, bidx, bsecond);
    }
    // Centre numbers converted a batch at a time (a float-to-unsigned conversion of each
    // label took a branch and two conversions).
    alignas(64) xsimd::as_integer_t<T> index[W];
    xsimd::to_int(bidx).store_aligned(index);
    SEGKIT_UNROLL
    for (std::size_t r = 0; r < W; ++r) labels[i + r] = static_cast<std::size_t>(index[r]);
    bmin.store_unaligned(best + i);
    if constexpr (Two) bsecond.store_unaligned(second + i);
  }
  return i;
}

/// For each of the m rows of values (stride k_pad, the lanes of the last computed
/// batch beyond k holding +infinity): labels[i] the first column of the row's smallest
/// value, best[i] that value. A row holding NaN gets label 0 and a NaN value (the
/// callers refuse NaN sums; the label only has to stay in range until they do).
template <class Arch, class T>
void row_minima(const T* values, std::size_t m, std::size_t k, std::size_t k_pad, std::size_t* labels, T* best) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const std::size_t k_cols = computed_columns<Arch, T>(k);
  alignas(64) T lane_index[W];
  SEGKIT_UNROLL
  for (std::size_t l = 0; l < W; ++l) lane_index[l] = static_cast<T>(l);
  const batch lanes = batch::load_aligned(lane_index);
  const std::size_t done = k_cols <= transposed_batches<false> * W
                               ? transposed_minima<Arch, T, false>(values, m, k_cols, k_pad, labels, best, nullptr)
                               : 0;
  for (std::size_t i = done; i < m; ++i) {
    const T* row = values + i * k_pad;
    // Per lane, the smallest distance and the first column holding it (strict <
    // keeps the earliest); then the smallest column among the lanes that tie.
    // Column numbers are exact in T: k < 2^24 even in float.
    batch bmin = batch::load_aligned(row), bidx = lanes;
    if (k_cols == W) {
      // One batch: the column is the first lane holding the smallest distance.
      const batch smallest = all_lanes_min<Arch, T>(bmin);
      const unsigned holding = lane_bits<Arch, T>(bmin == smallest);
      labels[i] = holding ? static_cast<std::size_t>(std::countr_zero(holding)) : 0;
      best[i] = smallest.get(0);
      continue;
    }
    for (std::size_t c = W; c < k_cols; c += W) {
      const batch v = batch::load_aligned(row + c);
      const auto closer = v < bmin;
      bmin = xsimd::select(closer, v, bmin);
      bidx = xsimd::select(closer, lanes + batch(static_cast<T>(c)), bidx);
    }
    // Branch-free across the lanes (a compare-and-branch scan mispredicts on
    // every row): the smallest distance, then the smallest column holding it.
    const batch smallest = all_lanes_min<Arch, T>(bmin);
    const batch column =
        all_lanes_min<Arch, T>(xsimd::select(bmin == smallest, bidx, batch(std::numeric_limits<T>::infinity())));
    const T first = column.get(0);
    labels[i] = first < static_cast<T>(k) ? static_cast<std::size_t>(first) : 0;
    best[i] = smallest.get(0);
  }
}

/// row_minima, and second[i] the row's smallest value in any other column (ties
/// included: a value equal to the smallest, elsewhere, is the second): what a
/// bounded step keeps as the lower bound of the other centres. The labels and
/// best values are row_minima's.
template <class Arch, class T>
void row_two_minima(const T* values, std::size_t m, std::size_t k, std::size_t k_pad, std::size_t* labels, T* best,
                    T* second) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const std::size_t k_cols = computed_columns<Arch, T>(k);
  const batch infinity(std::numeric_limits<T>::infinity());
  alignas(64) T lane_index[W];
  SEGKIT_UNROLL
  for (std::size_t l = 0; l < W; ++l) lane_index[l] = static_cast<T>(l);
  const batch lanes = batch::load_aligned(lane_index);
  const std::size_t done = k_cols <= transposed_batches<true> * W
                               ? transposed_minima<Arch, T, true>(values, m, k_cols, k_pad, labels, best, second)
                               : 0;
  for (std::size_t i = done; i < m; ++i) {
    const T* row = values + i * k_pad;
    // Per lane: the smallest value, its first column, and the smallest of the rest.
    batch bmin = batch::load_aligned(row), bidx = lanes, bsecond = infinity;
    for (std::size_t c = W; c < k_cols; c += W) {
      const batch v = batch::load_aligned(row + c);
      const auto closer = v < bmin;
      bsecond = xsimd::select(closer, bmin, xsimd::min(bsecond, v));
      bmin = xsimd::select(closer, v, bmin);
      bidx = xsimd::select(closer, lanes + batch(static_cast<T>(c)), bidx);
    }
    const batch smallest = all_lanes_min<Arch, T>(bmin);
    const batch column = all_lanes_min<Arch, T>(xsimd::select(bmin == smallest, bidx, infinity));
    // The second: every lane's runner-up, and every lane's smallest but the chosen column's.
    const batch others = xsimd::min(bsecond, xsimd::select(bidx == column, infinity, bmin));
    const T first = column.get(0);
    labels[i] = first < static_cast<T>(k) ? static_cast<std::size_t>(first) : 0;
    best[i] = smallest.get(0);
    second[i] = all_lanes_min<Arch, T>(others).get(0);
  }
}

/// nearest_centres, and each row's distance to its second-nearest centre (second[i]).
template <class Arch, class T>
void nearest_two_centres(const T* X, std::size_t m, std::size_t d, const T* ct, std::size_t k, std::size_t k_pad,
                         T* scratch, std::size_t* labels, T* best, T* second) {
  if constexpr (!std::is_void_v<typename narrower<Arch>::type>)
    if (fits_narrower<Arch, T>(k))
      return nearest_two_centres<typename narrower<Arch>::type, T>(X, m, d, ct, k, k_pad, scratch, labels, best,
                                                                   second);
  squared_distances<Arch, T>(X, m, d, ct, k, k_pad, scratch);
  row_two_minima<Arch, T>(scratch, m, k, k_pad, labels, best, second);
}

/// Each of the m rows' nearest centre: labels[i] the first index of the smallest
/// distance (the first on ties, as a scalar scan would pick), best[i] that
/// distance. ct as for squared_distances, with the padding columns set to
/// +infinity so that they are never nearest; scratch holds m x k_pad values.
template <class Arch, class T>
void nearest_centres(const T* X, std::size_t m, std::size_t d, const T* ct, std::size_t k, std::size_t k_pad,
                     T* scratch, std::size_t* labels, T* best) {
  if constexpr (!std::is_void_v<typename narrower<Arch>::type>)
    if (fits_narrower<Arch, T>(k))
      return nearest_centres<typename narrower<Arch>::type, T>(X, m, d, ct, k, k_pad, scratch, labels, best);
  squared_distances<Arch, T>(X, m, d, ct, k, k_pad, scratch);
  row_minima<Arch, T>(scratch, m, k, k_pad, labels, best);
}

/// Euclidean distances of R rows (x: R rows of d, contiguous) to the columns
/// [begin, end) of xt (d x n, row stride `stride`), used both ways at once, as
/// each pair is computed once for the symmetric silhouette sums:
///   row_sums[r] += sum over the columns of the distance to row r,
///   col_sums[j - begin] += sum over the R rows of the distance to column j.
/// Each column load serves R rows, and R x KB chains hide the latency.
template <class Arch, class T, std::size_t R>
void distance_sums_rows(const T* x, const T* xt, std::size_t stride, std::size_t d, std::size_t begin, std::size_t end,
                        double* row_sums, T* col_sums) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  constexpr std::size_t KB = has_32_registers<Arch> ? 4 : 2;
  batch sums[R];
  SEGKIT_UNROLL
  for (std::size_t r = 0; r < R; ++r) sums[r] = batch(T(0));
  std::size_t j = begin;
  for (; j + KB * W <= end; j += KB * W) {
    batch acc[R][KB];
    SEGKIT_UNROLL
    for (std::size_t r = 0; r < R; ++r) {
      SEGKIT_UNROLL
      for (std::size_t b = 0; b < KB; ++b) acc[r][b] = batch(T(0));
    }
    const T* col = xt + j;
    for (std::size_t f = 0; f < d; ++f, col += stride) {
      batch c[KB];
      SEGKIT_UNROLL
      for (std::size_t b = 0; b < KB; ++b) c[b] = batch::load_unaligned(col + b * W);
      SEGKIT_UNROLL
      for (std::size_t r = 0; r < R; ++r) {
        const batch xf(x[r * d + f]);
        SEGKIT_UNROLL
        for (std::size_t b = 0; b < KB; ++b) {
          const batch diff = xf - c[b];
          acc[r][b] = fused_multiply_add<Arch, T>(diff, diff, acc[r][b]);
        }
      }
    }
    SEGKIT_UNROLL
    for (std::size_t b = 0; b < KB; ++b) {
      batch column = batch::load_unaligned(col_sums + (j - begin) + b * W);
      SEGKIT_UNROLL
      for (std::size_t r = 0; r < R; ++r) {
        const batch dist = xsimd::sqrt(acc[r][b]);
        sums[r] += dist;
        column += dist;
      }
      column.store_unaligned(col_sums + (j - begin) + b * W);
    }
  }
  SEGKIT_UNROLL
  for (std::size_t r = 0; r < R; ++r) row_sums[r] += static_cast<double>(xsimd::hadd(sums[r]));
  for (; j < end; ++j)
    for (std::size_t r = 0; r < R; ++r) {
      T acc = 0;
      for (std::size_t f = 0; f < d; ++f) {
        const T diff = x[r * d + f] - xt[f * stride + j];
        acc += diff * diff;
      }
      const T dist = std::sqrt(acc);
      row_sums[r] += static_cast<double>(dist);
      col_sums[j - begin] += dist;
    }
}

/// distance_sums_rows for four rows, and for one.
template <class Arch, class T>
void distance_sums_4(const T* x, const T* xt, std::size_t stride, std::size_t d, std::size_t begin, std::size_t end,
                     double* row_sums, T* col_sums) {
  distance_sums_rows<Arch, T, 4>(x, xt, stride, d, begin, end, row_sums, col_sums);
}
template <class Arch, class T>
void distance_sums_1(const T* x, const T* xt, std::size_t stride, std::size_t d, std::size_t begin, std::size_t end,
                     double* row_sums, T* col_sums) {
  distance_sums_rows<Arch, T, 1>(x, xt, stride, d, begin, end, row_sums, col_sums);
}

/// Squared Euclidean distance of two rows, vectorised across the features
/// (W partial sums, then added across the lanes): for the one-row distances
/// of the bounded steps, where a scalar loop would dominate.
template <class Arch, class T>
T row_distance(const T* a, const T* b, std::size_t d) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  std::size_t j = 0;
  T sum = 0;
  if (d >= W) {
    batch acc(T(0));
    for (; j + W <= d; j += W) {
      const batch diff = batch::load_unaligned(a + j) - batch::load_unaligned(b + j);
      acc = fused_multiply_add<Arch, T>(diff, diff, acc);
    }
    sum = xsimd::hadd(acc);
  }
  for (; j < d; ++j) {
    const T diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

/// v[i] = sqrt(v[i]) * factor, in place: the bounded steps' bounds on the square root
/// of a squared distance, a factor of 1 + epsilon or 1 - epsilon rounding them outwards.
/// (Written with xsimd: a loop of std::sqrt is not vectorised where errno may be set.)
template <class Arch, class T>
void scaled_roots(T* v, std::size_t m, T factor) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const batch f(factor);
  std::size_t i = 0;
  for (; i + W <= m; i += W) (xsimd::sqrt(batch::load_unaligned(v + i)) * f).store_unaligned(v + i);
  for (; i < m; ++i) v[i] = std::sqrt(v[i]) * factor;
}

/// The centres as nearest_centres_by_products reads them. The shift (the centres'
/// own mean) is taken from rows and centres alike: distances do not change, and the
/// inner products stay small, so |c|^2 - 2 x.c loses few digits to cancellation.
template <class T>
struct ShiftedCentres {
  const T* rows;        ///< k x d, row-major
  const T* ct;          ///< d x k_pad, transposed, padding columns +infinity (as for squared_distances)
  const T* shifted_ct;  ///< d x k_pad, transposed, minus the shift, padding columns 0
  const T* norms;       ///< k_pad: |c - shift|^2, padding +infinity
  const T* shift;       ///< d values
  T radius;             ///< the largest |c - shift|
  std::size_t k, k_pad;
};

/// Values of T nearest_centres_by_products needs as scratch for m rows (64-byte aligned).
constexpr std::size_t product_scratch(std::size_t m, std::size_t k_pad) { return m * k_pad + k_pad; }

/// The same labels as nearest_centres, from the centre minimising |c|^2 - 2 x.c on
/// shifted rows and centres (one multiply-add per feature and centre, against a
/// subtraction and a multiply-add). Its rounding error is at most about
/// (d + 3) u (|x| + |c|)^2 (shifted norms, u half the machine epsilon), and the exact
/// kernel's (d + 2) u |x - c|^2; the tolerance, 4 (d + 4) epsilon (|x - c_label| +
/// 2 radius)^2, is twice the sum of both, with room to spare. A row whose smallest
/// value has no other within the tolerance has the exact kernel's nearest centre;
/// any other row (a near tie, or a
/// value that is not finite) is measured again with the exact kernel, lane for lane
/// the arithmetic of nearest_centres, and takes its label from that. best[i] is the
/// distance to the chosen centre, by row_distance (in another order than the tile:
/// it may differ from nearest_centres' in the last bits).
template <class Arch, class T>
void nearest_centres_by_products(const T* X, std::size_t m, std::size_t d, const ShiftedCentres<T>& centres, T* scratch,
                                 std::size_t* labels, T* best) {
  using batch = xsimd::batch<T, Arch>;
  constexpr std::size_t W = batch::size;
  const std::size_t k = centres.k, k_pad = centres.k_pad, k_cols = computed_columns<Arch, T>(k);
  T* values = scratch;             // m x k_pad
  T* exact = scratch + m * k_pad;  // k_pad: one row measured again
  row_tiles<Arch, T, Sum::product>(X, m, d, centres.shifted_ct, k, k_pad, values, centres.shift, centres.norms);
  row_minima<Arch, T>(values, m, k, k_pad, labels, best);
  const T margin = static_cast<T>(4 * (d + 4)) * std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i < m; ++i) {
    const T* x = X + i * d;
    const T* row = values + i * k_pad;
    // |x - shift| + |c - shift| is at most |x - c_label| + 2 radius (any centre will do
    // for the triangle inequality): the chosen centre's distance, wanted anyway, and no
    // pass over the row for its norm.
    const T distance = row_distance<Arch, T>(x, centres.rows + labels[i] * d, d);
    const T reach = std::sqrt(distance) + 2 * centres.radius;
    const T threshold = best[i] + margin * reach * reach;
    unsigned candidates = 0;
    for (std::size_t c = 0; c < k_cols; c += W)
      candidates += static_cast<unsigned>(std::popcount(lane_bits<Arch, T>(batch::load_aligned(row + c) <= threshold)));
    if (candidates == 1 && std::isfinite(threshold)) {
      best[i] = distance;
    } else {
      squared_distance_rows<Arch, T, 1>(x, d, centres.ct, k_cols, k_pad, exact);
      row_minima<Arch, T>(exact, 1, k, k_pad, labels + i, best + i);
    }
  }
}

/// counts[labels[i]] += 1 for the m rows. With `odd` (k zeros, left with the odd rows'
/// counts), even and odd rows are counted apart, so that a run of one label is not one
/// chain of increments through memory (6 % of a Lloyd pass at 1,000,000 x 16 x 8 in float).
/// Inlined always: the kernels of each instruction set share no symbol with the others.
SEGKIT_ALWAYS_INLINE void count_labels(const std::size_t* labels, std::size_t m, std::size_t* counts, std::size_t k,
                                       std::size_t* odd) {
  std::size_t i = 0;
  if (odd) {
    for (; i + 2 <= m; i += 2) {
      ++counts[labels[i]];
      ++odd[labels[i + 1]];
    }
    for (std::size_t c = 0; c < k; ++c) counts[c] += odd[c];
  }
  for (; i < m; ++i) ++counts[labels[i]];
}

/// W values of p (float or double) as a batch of W doubles, float widened by one
/// instruction. (xsimd's converting load went through the stack at -O2: the float sums
/// 2-3x slower than at -O3.)
template <class Arch, class T>
SEGKIT_ALWAYS_INLINE xsimd::batch<double, Arch> load_as_double(const T* p) {
  using B = xsimd::batch<double, Arch>;
  if constexpr (std::is_same_v<T, float>) {
#if defined(__x86_64__) || defined(_M_X64)
    if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>)
      return B(_mm512_cvtps_pd(_mm256_loadu_ps(p)));
    else if constexpr (std::is_base_of_v<xsimd::avx, Arch>)
      return B(_mm256_cvtps_pd(_mm_loadu_ps(p)));
    else if constexpr (std::is_base_of_v<xsimd::sse2, Arch>)
      return B(_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))));
#endif
  }
  return B::load_unaligned(p);
}

/// The k-means update's sums, row by row in row order: sums[labels[i] * d + j] += X[i * d + j]
/// in double for the m rows of X (only those whose cluster c has only[c], if `only` is
/// given); counts, if given, gets each cluster's rows among all m (whatever `only` says). Batches of Arch's narrower
/// architecture where it has one: a 64-byte store that the next row of the same cluster loads again is not forwarded to
/// it (Zen 4), and each such row then waits for the store to reach the cache.
template <class Arch, class T>
void add_rows_in_order(const T* X, std::size_t m, std::size_t d, const std::size_t* labels, std::size_t k, double* sums,
                       const unsigned char* only, std::size_t* counts) {
  if constexpr (!std::is_void_v<typename narrower<Arch>::type>) {
    return add_rows_in_order<typename narrower<Arch>::type, T>(X, m, d, labels, k, sums, only, counts);
  } else {
    if (counts) {
      // The odd rows' counts on the stack where k allows (no heap: see count_labels).
      constexpr std::size_t on_stack = 256;
      std::size_t odd[on_stack];
      if (k <= on_stack) std::fill_n(odd, k, std::size_t{0});
      count_labels(labels, m, counts, k, k <= on_stack ? odd : nullptr);
    }
    using B = xsimd::batch<double, Arch>;
    constexpr std::size_t W = B::size;
    const std::size_t whole = d / W * W;
    const auto add = [&](std::size_t i) {
      const T* x = X + i * d;
      double* s = sums + labels[i] * d;
      for (std::size_t j = 0; j < whole; j += W)
        (B::load_unaligned(s + j) + load_as_double<Arch>(x + j)).store_unaligned(s + j);
      for (std::size_t j = whole; j < d; ++j) s[j] += static_cast<double>(x[j]);
    };
    if (!only) {
      for (std::size_t i = 0; i < m; ++i) add(i);
      return;
    }
    // The rows of the chosen clusters listed first, without a branch per row: a bounded
    // pass sums again a few clusters of many, and a test per row then mispredicted about
    // as often as it chose a row.
    constexpr std::size_t block = 256;
    std::uint32_t chosen[block];
    for (std::size_t b = 0; b < m; b += block) {
      const std::size_t e = std::min(m, b + block);
      std::size_t count = 0;
      for (std::size_t i = b; i < e; ++i) {
        chosen[count] = static_cast<std::uint32_t>(i - b);
        count += only[labels[i]] != 0;
      }
      for (std::size_t r = 0; r < count; ++r) add(b + chosen[r]);
    }
  }
}

/// The m (at most 256) labels of a block as bytes, for at most 255 clusters (add_rows
/// groups a few), padded with 255 to whole words of 64.
SEGKIT_ALWAYS_INLINE void narrow_labels(const std::size_t* labels, std::size_t m, std::uint8_t* bytes) {
  for (std::size_t i = 0; i < m; ++i) bytes[i] = static_cast<std::uint8_t>(labels[i]);
  for (std::size_t i = m; i < (m + 63) / 64 * 64; ++i) bytes[i] = 255;
}

/// Bit r of word w set where the label of row 64 w + r is c, for n_words words of the
/// labels as bytes (64-byte aligned): one compare per word under AVX-512BW, two under
/// AVX2. (Eight compares of the 8-byte labels per word were a third of the sums' time at
/// 1,000,000 x 16 x 8.)
template <class Arch>
SEGKIT_ALWAYS_INLINE void label_words(const std::uint8_t* bytes, std::size_t n_words, std::size_t c,
                                      std::uint64_t* words) {
#if defined(__x86_64__) || defined(_M_X64)
  if constexpr (std::is_base_of_v<xsimd::avx512bw, Arch>) {
    const __m512i wanted = _mm512_set1_epi8(static_cast<char>(c));
    for (std::size_t w = 0; w < n_words; ++w)
      words[w] = _mm512_cmpeq_epi8_mask(_mm512_load_si512(bytes + 64 * w), wanted);
    return;
  } else if constexpr (std::is_base_of_v<xsimd::avx2, Arch> || std::is_base_of_v<xsimd::avx512f, Arch>) {
    const __m256i wanted = _mm256_set1_epi8(static_cast<char>(c));
    const auto half = [&](const std::uint8_t* p) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(
          _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(p)), wanted))));
    };
    for (std::size_t w = 0; w < n_words; ++w) words[w] = half(bytes + 64 * w) | half(bytes + 64 * w + 32) << 32;
    return;
  }
#endif
  for (std::size_t w = 0; w < n_words; ++w) {
    std::uint64_t bits = 0;
    for (std::size_t r = 0; r < 64; ++r) bits |= static_cast<std::uint64_t>(bytes[64 * w + r] == c) << r;
    words[w] = bits;
  }
}

/// f(r) for every row r whose bit is set in words[0, n_words), in row order.
template <class F>
SEGKIT_ALWAYS_INLINE void for_each_marked_row(const std::uint64_t* words, std::size_t n_words, F&& f) {
  for (std::size_t w = 0; w < n_words; ++w)
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1)
      f(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
}

/// Columns [j, j + J W) of the rows whose bits are set, added to s[j...] in row order, in
/// J batches of registers (one load and one store of the sums per cluster and block).
template <class Arch, class T, std::size_t J>
SEGKIT_ALWAYS_INLINE void add_marked_rows(const T* X, std::size_t d, std::size_t j, const std::uint64_t* words,
                                          std::size_t n_words, double* s) {
  using B = xsimd::batch<double, Arch>;
  constexpr std::size_t W = B::size;
  B acc[J];
  SEGKIT_UNROLL
  for (std::size_t q = 0; q < J; ++q) acc[q] = B::load_unaligned(s + j + q * W);
  for_each_marked_row(words, n_words, [&](std::size_t r) {
    const T* x = X + r * d + j;
    SEGKIT_UNROLL
    for (std::size_t q = 0; q < J; ++q) acc[q] += load_as_double<Arch>(x + q * W);
  });
  SEGKIT_UNROLL
  for (std::size_t q = 0; q < J; ++q) acc[q].store_unaligned(s + j + q * W);
}

/// Whether add_rows groups a block's rows by cluster: each cluster costs compares of the
/// block's labels (as bytes), each row's sum in registers saves more the more features it
/// has (measured on Zen 4 with AVX-512, random labels: grouped is 1.1-2.6x faster up to
/// k = 16 at d = 8 and up to k = 32 at d = 16 and 64; in order at d = 8, k = 24).
constexpr bool groups_sums(std::size_t k, std::size_t d) { return k <= (d >= 16 ? 32 : 16); }

/// The k-means update's sums: sums[labels[i] * d + j] += X[i * d + j] in double for the m
/// rows of X, k clusters (only the clusters c with only[c], if `only` is given: a bounded
/// pass sums again just those its rows left or joined), and counts[c] += the rows of each
/// cluster c among all m, if counts is given (grouped, a count of the bits that choose
/// the rows: no pass of its own); each cluster's rows are added in
/// row order, so the sums have the bits of a plain loop over the rows. For few clusters, a
/// block's rows are grouped by cluster (compares of the labels, one bit per row) and each
/// cluster's sum stays in registers across its rows: added in row order, cluster after
/// cluster, a row's sum is stored and loaded again by the next row of its cluster, a chain
/// through memory.
template <class Arch, class T>
void add_rows(const T* X, std::size_t m, std::size_t d, const std::size_t* labels, std::size_t k, double* sums,
              const unsigned char* only, std::size_t* counts) {
  using B = xsimd::batch<double, Arch>;
  constexpr std::size_t W = B::size;
  constexpr bool compares_bytes = std::is_base_of_v<xsimd::avx2, Arch> || std::is_base_of_v<xsimd::avx512f, Arch>;
  if (!compares_bytes || !groups_sums(k, d) || d < W)
    return add_rows_in_order<Arch, T>(X, m, d, labels, k, sums, only, counts);
  constexpr std::size_t block = 256, J = has_32_registers<Arch> ? 8 : 4;
  std::uint64_t words[block / 64];
  alignas(64) std::uint8_t bytes[block];
  const std::size_t whole = d / W * W;
  for (std::size_t b = 0; b < m; b += block) {
    const std::size_t rows = std::min(block, m - b), n_words = (rows + 63) / 64;
    const T* Xb = X + b * d;
    narrow_labels(labels + b, rows, bytes);
    for (std::size_t c = 0; c < k; ++c) {
      if (only && !only[c] && !counts) continue;
      label_words<Arch>(bytes, n_words, c, words);
      std::uint64_t any = 0;
      std::size_t rows_of_c = 0;
      for (std::size_t w = 0; w < n_words; ++w) {
        any |= words[w];
        rows_of_c += static_cast<std::size_t>(std::popcount(words[w]));
      }
      if (counts) counts[c] += rows_of_c;
      if (any == 0 || (only && !only[c])) continue;
      double* s = sums + c * d;
      std::size_t j = 0;
      for (; j + J * W <= whole; j += J * W) add_marked_rows<Arch, T, J>(Xb, d, j, words, n_words, s);
      for (; j + 2 * W <= whole; j += 2 * W) add_marked_rows<Arch, T, 2>(Xb, d, j, words, n_words, s);
      for (; j < whole; j += W) add_marked_rows<Arch, T, 1>(Xb, d, j, words, n_words, s);
      if (whole < d)
        for_each_marked_row(words, n_words, [&](std::size_t r) {
          for (std::size_t t = whole; t < d; ++t) s[t] += static_cast<double>(Xb[r * d + t]);
        });
    }
  }
}

/// One architecture's kernels for one value type: what a dispatching program
/// installs (core/dispatch.hpp).
template <class T>
struct Table {
  const char* arch;  ///< xsimd's name of the architecture, e.g. "avx512bw"
  void (*squared_distances)(const T*, std::size_t, std::size_t, const T*, std::size_t, std::size_t, T*);
  void (*nearest_centres)(const T*, std::size_t, std::size_t, const T*, std::size_t, std::size_t, T*, std::size_t*, T*);
  void (*distance_sums_4)(const T*, const T*, std::size_t, std::size_t, std::size_t, std::size_t, double*, T*);
  void (*distance_sums_1)(const T*, const T*, std::size_t, std::size_t, std::size_t, std::size_t, double*, T*);
  T (*row_distance)(const T*, const T*, std::size_t);
  void (*scaled_roots)(T*, std::size_t, T);
  void (*nearest_centres_by_products)(const T*, std::size_t, std::size_t, const ShiftedCentres<T>&, T*, std::size_t*,
                                      T*);
  void (*nearest_two_centres)(const T*, std::size_t, std::size_t, const T*, std::size_t, std::size_t, T*, std::size_t*,
                              T*, T*);
  void (*add_rows)(const T*, std::size_t, std::size_t, const std::size_t*, std::size_t, double*, const unsigned char*,
                   std::size_t*);
};

template <class Arch, class T>
const Table<T>& table() {
  static const Table<T> t{Arch::name(),
                          &squared_distances<Arch, T>,
                          &nearest_centres<Arch, T>,
                          &distance_sums_4<Arch, T>,
                          &distance_sums_1<Arch, T>,
                          &row_distance<Arch, T>,
                          &scaled_roots<Arch, T>,
                          &nearest_centres_by_products<Arch, T>,
                          &nearest_two_centres<Arch, T>,
                          &add_rows<Arch, T>};
  return t;
}

}  // namespace segkit::kernels

// Used only above: not part of segkit's interface.
#undef SEGKIT_ALWAYS_INLINE
#undef SEGKIT_UNROLL
