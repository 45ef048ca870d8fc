#pragma once

#define SEGKIT_VERSION_MAJOR 0
#define SEGKIT_VERSION_MINOR 1
#define SEGKIT_VERSION_PATCH 0

namespace segkit {
inline constexpr const char* version = "0.1.0";
}
