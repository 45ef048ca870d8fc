#pragma once
// segkit::error — the one exception type segkit throws for bad input.

#include <stdexcept>
#include <string>

namespace segkit {

/// Base of every exception segkit throws for bad input. `what()` names the
/// problem and, where there is one, the place (row, column, file, line).
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace segkit
