# segkit from the tree this overlay port is in (vcpkg install segkit --overlay-ports=ports):
# what `cmake --install` installs, with the CMake package moved to share/segkit as vcpkg
# expects. Header-only, so one (release) configuration.
set(VCPKG_BUILD_TYPE release)
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

vcpkg_check_features(OUT_FEATURE_OPTIONS feature_options FEATURES io SEGKIT_IO)
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${feature_options}
    -DSEGKIT_INSTALL=ON
    -DSEGKIT_WITH_MPI=OFF
    -DSEGKIT_BUILD_TESTS=OFF
    -DSEGKIT_BUILD_BENCHMARKS=OFF
    -DSEGKIT_BUILD_EXAMPLES=OFF
    -DSEGKIT_BUILD_TOOLS=OFF)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME segkit CONFIG_PATH share/cmake/segkit)

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
# segkit has chosen no licence yet: the copyright file says so rather than name one.
file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright"
     "segkit ${VERSION}: no licence has been chosen yet; see the project's README.\n")
