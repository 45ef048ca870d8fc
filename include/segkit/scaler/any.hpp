#pragma once
// AnyScaler: a fitted scaler of any savable type behind one value type. A model
// file and the workflow layer keep the scaler a fit used whatever its type; they
// need its name, its state to write, and its transform — not its type.
//
// A scaler is savable when it names itself (`static constexpr std::string_view
// name`, as the policy registry asks) and gives its fitted state as named lists of
// one number per feature (`state()`), which `set_state()` restores. Every built-in
// scaler is (AffineScaler's "center" and "scale"); a scaler of one's own becomes so
// with those two members:
//
//   struct LogScaler {
//     static constexpr std::string_view name = "log";
//     segkit::ScalerState state() const { return {{"offset", offset_}}; }
//     void set_state(const segkit::ScalerState& state);  // throws segkit::scaler_state_error
//     ...fit, transform, inverse_transform (the Scaler concept)
//   };

#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/scaler/concept.hpp"

namespace segkit {

/// A fitted scaler's parameters: named lists of one number per feature, in the
/// order a model file writes them.
using ScalerState = std::vector<std::pair<std::string, std::vector<double>>>;

/// What set_state() throws for a state it cannot take: `entry` names the part at
/// fault as the state names it ("scale[2]", "center"), `problem` says what is wrong
/// ("must be a positive number, not -1"), and what() says both ("scale[2] must be a
/// positive number, not -1"), so that a direct caller reads the whole message and a
/// model file's loader can point at its own field ("scaler.scale[2]").
class scaler_state_error : public error {
 public:
  scaler_state_error(std::string entry, std::string problem)
      : error(entry + " " + problem), entry_(std::move(entry)), problem_(std::move(problem)) {}
  const std::string& entry() const noexcept { return entry_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::string entry_, problem_;
};

/// The entry of `state` named `name`; scaler_state_error when it has none.
inline const std::vector<double>& state_entry(const ScalerState& state, std::string_view name) {
  for (const auto& [key, values] : state)
    if (key == name) return values;
  throw scaler_state_error(std::string(name), "is missing");
}

template <class S>
concept SavableScaler = Scaler<S> && requires(const S& fitted, S& scaler, const ScalerState& state) {
  { S::name } -> std::convertible_to<std::string_view>;
  { fitted.state() } -> std::same_as<ScalerState>;
  scaler.set_state(state);
};

class AnyScaler {
 public:
  /// No scaler yet: fitted() is false, and every use but assignment throws.
  AnyScaler() = default;

  // Not AnyScaler itself, checked first: asking whether AnyScaler is a SavableScaler
  // would ask whether it is copyable, which asks this constructor again.
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class S>
    requires(!std::same_as<S, AnyScaler> && SavableScaler<S>)
  AnyScaler(S fitted)  // NOLINT(google-explicit-constructor): a fitted scaler is one
      : impl_(std::make_shared<const Holder<S>>(std::move(fitted))) {}
  // clang-format on

  bool fitted() const { return impl_ != nullptr; }
  /// The scaler's registry name ("standard").
  std::string_view name() const { return get().name(); }
  ScalerState state() const { return get().state(); }

  xt::xtensor<double, 2> transform(const xt::xtensor<double, 2>& X) const { return get().transform(X); }
  xt::xtensor<float, 2> transform(const xt::xtensor<float, 2>& X) const { return get().transform(X); }
  xt::xtensor<double, 2> inverse_transform(const xt::xtensor<double, 2>& C) const { return get().inverse_transform(C); }

  /// The scaler as its own type S, restored from this one's state: S must be the
  /// scaler of the same name (else a segkit::error says which two differ).
  template <SavableScaler S>
  S as() const {
    if (name() != S::name)
      throw error("the scaler is \"" + std::string(name()) + "\", not \"" + std::string(S::name) + "\"");
    S out;
    out.set_state(state());
    return out;
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual std::string_view name() const = 0;
    virtual ScalerState state() const = 0;
    virtual xt::xtensor<double, 2> transform(const xt::xtensor<double, 2>& X) const = 0;
    virtual xt::xtensor<float, 2> transform(const xt::xtensor<float, 2>& X) const = 0;
    virtual xt::xtensor<double, 2> inverse_transform(const xt::xtensor<double, 2>& C) const = 0;
  };
  template <class S>
  struct Holder final : Base {
    explicit Holder(S s) : scaler(std::move(s)) {}
    std::string_view name() const override { return S::name; }
    ScalerState state() const override { return scaler.state(); }
    xt::xtensor<double, 2> transform(const xt::xtensor<double, 2>& X) const override { return scaler.transform(X); }
    xt::xtensor<float, 2> transform(const xt::xtensor<float, 2>& X) const override { return scaler.transform(X); }
    xt::xtensor<double, 2> inverse_transform(const xt::xtensor<double, 2>& C) const override {
      return scaler.inverse_transform(C);
    }
    S scaler;
  };

  const Base& get() const {
    if (!impl_) throw error("the scaler is used before a fitted one is given");
    return *impl_;
  }

  // Shared, never changed after construction: copies are cheap and a model serving
  // many threads reads one scaler.
  std::shared_ptr<const Base> impl_;
};

}  // namespace segkit
