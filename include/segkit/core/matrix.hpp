#pragma once
// Turning a user's expression into the row-major matrix the algorithms work
// on, and the checks every entry point makes on it.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <unordered_set>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/parallel.hpp"

namespace segkit {

/// The type a computation on elements of type V runs in: float stays float
/// (twice the SIMD width), everything else is computed in double.
template <class V>
using compute_type_t = std::conditional_t<std::is_same_v<std::remove_cv_t<V>, float>, float, double>;

namespace detail {

template <class E>
using expression_value_t = typename std::decay_t<E>::value_type;

/// Evaluates `e` into a dense row-major n x d matrix of T; `what` names it in errors.
template <class T, class E>
xt::xtensor<T, 2> to_matrix(const xt::xexpression<E>& e, const char* what) {
  const auto& x = e.derived_cast();
  static_assert(std::is_arithmetic_v<expression_value_t<E>>, "segkit: the data must hold numbers");
  if (x.dimension() != 2)
    throw error(std::string(what) + " must be a 2-D matrix (rows x features), got " + std::to_string(x.dimension()) +
                " dimension(s)");
  xt::xtensor<T, 2> out = xt::cast<T>(x);
  return out;
}

/// An argument X as the dense row-major matrix of T the algorithms read: the caller's own
/// matrix when it already is one, else a converted copy held here. A scorer or profile of a
/// million customers then reads the caller's n x d numbers instead of copying them first.
template <class T>
class MatrixArg {
 public:
  template <class E>
  MatrixArg(const xt::xexpression<E>& e, const char* what) {
    if constexpr (std::is_same_v<E, xt::xtensor<T, 2>>) {
      matrix_ = &e.derived_cast();
    } else {
      owned_ = to_matrix<T>(e, what);
      matrix_ = &owned_;
    }
  }
  MatrixArg(const MatrixArg&) = delete;
  MatrixArg& operator=(const MatrixArg&) = delete;

  const xt::xtensor<T, 2>& operator*() const { return *matrix_; }

 private:
  xt::xtensor<T, 2> owned_;
  const xt::xtensor<T, 2>* matrix_ = nullptr;
};

template <class T>
void check_finite(const xt::xtensor<T, 2>& X, const char* what, std::size_t threads = 1) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  const T* p = X.data();
  if constexpr (std::is_floating_point_v<T> && std::numeric_limits<T>::is_iec559) {
    // First a branch-free pass the compiler vectorises: a value is NaN or infinite
    // exactly when its exponent bits are all ones. Only then look for where.
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr Bits exponent = static_cast<Bits>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
    const std::size_t total = n * d, chunk = std::size_t{1} << 16;
    const double found =
        chunked_sum(total, chunk, total < (std::size_t{1} << 20) ? 1 : threads, [p](std::size_t b, std::size_t e) {
          Bits any = 0;
          for (std::size_t i = b; i < e; ++i) {
            Bits bits;
            std::memcpy(&bits, p + i, sizeof bits);
            any |= static_cast<Bits>((bits & exponent) == exponent);
          }
          return static_cast<double>(any);
        });
    if (found == 0) return;
  }
  for (std::size_t i = 0; i < n * d; ++i) {
    if (!std::isfinite(p[i])) {
      throw error(std::string(what) + " holds " + (std::isnan(p[i]) ? "NaN" : "an infinity") + " at row " +
                  std::to_string(i / d) + ", column " + std::to_string(i % d) + " (0-based); impute or drop it first");
    }
  }
}

/// The checks every fit makes: a non-empty matrix of finite values.
template <class T>
void check_data(const xt::xtensor<T, 2>& X, const char* what, std::size_t threads = 1) {
  if (X.shape(0) == 0) throw error(std::string(what) + " is empty: it has no rows");
  if (X.shape(1) == 0) throw error(std::string(what) + " has no features (0 columns)");
  check_finite(X, what, threads);
}

template <class T>
void check_width(const xt::xtensor<T, 2>& X, std::size_t expected, const char* what) {
  if (X.shape(1) != expected)
    throw error(std::string(what) + " has " + std::to_string(X.shape(1)) + " feature(s) but the model was fitted on " +
                std::to_string(expected));
}

/// Throws unless 1 <= k <= n and X holds at least k distinct rows.
template <class T>
void check_k(const xt::xtensor<T, 2>& X, std::size_t k) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  if (k == 0) throw error("k must be at least 1, got k = 0");
  if (k > n) throw error("k = " + std::to_string(k) + " is larger than the number of rows (" + std::to_string(n) + ")");
  // Stop as soon as k distinct rows are seen: on real data this is a handful of rows.
  const T* base = X.data();
  auto row_hash = [base, d](std::size_t i) {
    std::size_t h = 1469598103934665603ULL;
    for (std::size_t j = 0; j < d; ++j) {
      T v = base[i * d + j];
      if (v == T(0)) v = T(0);  // -0 and +0 are the same point
      h = (h ^ std::hash<T>{}(v)) * 1099511628211ULL;
    }
    return h;
  };
  auto row_equal = [base, d](std::size_t a, std::size_t b) {
    for (std::size_t j = 0; j < d; ++j)
      if (base[a * d + j] != base[b * d + j]) return false;
    return true;
  };
  std::unordered_set<std::size_t, decltype(row_hash), decltype(row_equal)> seen(16, row_hash, row_equal);
  for (std::size_t i = 0; i < n && seen.size() < k; ++i) seen.insert(i);
  if (seen.size() < k)
    throw error("k = " + std::to_string(k) + " but the data holds only " + std::to_string(seen.size()) +
                " distinct row(s)");
}

}  // namespace detail
}  // namespace segkit
