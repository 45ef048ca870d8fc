#pragma once
// segkit's version, written here only: CMake reads these three numbers (CMakeLists.txt).

#define SEGKIT_VERSION_MAJOR 0
#define SEGKIT_VERSION_MINOR 1
#define SEGKIT_VERSION_PATCH 0

#define SEGKIT_DETAIL_STRINGIFY2(x) #x
#define SEGKIT_DETAIL_STRINGIFY(x) SEGKIT_DETAIL_STRINGIFY2(x)

namespace segkit {
inline constexpr const char* version = SEGKIT_DETAIL_STRINGIFY(SEGKIT_VERSION_MAJOR) "." SEGKIT_DETAIL_STRINGIFY(
    SEGKIT_VERSION_MINOR) "." SEGKIT_DETAIL_STRINGIFY(SEGKIT_VERSION_PATCH);
}
