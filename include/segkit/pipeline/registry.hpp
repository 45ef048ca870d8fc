#pragma once
// The policy registry: which policy a name means ("standard", "manhattan"), for
// the tool's options, the model files and the workflow layer alike.
//
// A registry is a list of policy types, each naming itself with a member
// `static constexpr std::string_view name`. Choosing by name instantiates the
// code for every policy of the list, so the list is a type a caller can extend
// with its own policy:
//
//   struct Weighted { static constexpr std::string_view name = "weighted"; ... };
//   using MyDistances = segkit::with_policy_t<segkit::BuiltinDistances, Weighted>;
//   segkit::workflow::segment<segkit::BuiltinScalers, MyDistances>(table, options);

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "segkit/core/error.hpp"
#include "segkit/distance/cosine.hpp"
#include "segkit/distance/manhattan.hpp"
#include "segkit/distance/squared_euclidean.hpp"
#include "segkit/scaler/minmax.hpp"
#include "segkit/scaler/none.hpp"
#include "segkit/scaler/robust.hpp"
#include "segkit/scaler/standard.hpp"

namespace segkit {

/// A policy that can be chosen by name.
template <class P>
concept NamedPolicy = std::default_initializable<P> && requires {
  { P::name } -> std::convertible_to<std::string_view>;
};

/// The policies one name may choose among (the first is the default of a caller's own choosing).
template <NamedPolicy... Policies>
struct PolicyList {
  static constexpr std::size_t size = sizeof...(Policies);
};

using BuiltinScalers = PolicyList<StandardScaler, MinMaxScaler, RobustScaler, NoScaling>;
using BuiltinDistances = PolicyList<SquaredEuclidean, Manhattan, Cosine>;

namespace detail {
template <class List, class P>
struct with_policy;
template <class... Policies, class P>
struct with_policy<PolicyList<Policies...>, P> {
  using type = PolicyList<Policies..., P>;
};
}  // namespace detail

/// List with P added: how a caller registers a policy of its own.
template <class List, NamedPolicy P>
using with_policy_t = typename detail::with_policy<List, P>::type;

/// "standard, minmax, robust or none": the names of a list, for messages and help texts.
template <class... Policies>
std::string policy_names(PolicyList<Policies...>) {
  const std::string_view names[] = {Policies::name...};
  std::string out;
  for (std::size_t i = 0; i < sizeof...(Policies); ++i) {
    if (i > 0) out += i + 1 == sizeof...(Policies) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

/// Whether `name` names a policy of the list.
template <class... Policies>
bool names_policy(PolicyList<Policies...>, std::string_view name) {
  return ((Policies::name == name) || ...);
}

/// Calls f(P{}) for the policy P of the list named `name`, and returns what it
/// returns; a name of no policy is a segkit::error naming `what` ("--scaler",
/// "the model's scaler") and the names there are.
template <class... Policies, class F>
decltype(auto) with_named_policy(PolicyList<Policies...> list, std::string_view name, std::string_view what, F&& f) {
  using Result = decltype(f(std::declval<typename std::tuple_element<0, std::tuple<Policies...>>::type>()));
  if constexpr (std::is_void_v<Result>) {
    const bool found = ((Policies::name == name ? (f(Policies{}), true) : false) || ...);
    if (!found)
      throw error(std::string(what) + " must be " + policy_names(list) + ", not \"" + std::string(name) + "\"");
  } else {
    Result result{};
    const bool found = ((Policies::name == name ? (result = f(Policies{}), true) : false) || ...);
    if (!found)
      throw error(std::string(what) + " must be " + policy_names(list) + ", not \"" + std::string(name) + "\"");
    return result;
  }
}

}  // namespace segkit
