# Conan 2 recipe of segkit: a header-only library. The package is what `cmake --install`
# puts in a prefix (the headers, and segkit's own CMake package with the segkit::segkit and
# segkit::io targets and segkit_enable_simd_dispatch), and a consumer's find_package(segkit)
# reads that package, not one Conan generates, so the targets are the same either way.
#
#   conan create .                        # with ConanCenter's dependencies
#   packaging/conan/check.sh CONAN_SOURCE  # offline, against Debian's (docs/getting-started.md)
import os
import re

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import load

required_conan_version = ">=2.0"


class SegkitConan(ConanFile):
    name = "segkit"
    description = ("Customer segmentation in C++20: k-means and its scores, segment profiles, model files "
                   "and RFM, header-only on xtensor, xsimd and xtensor-blas")
    topics = ("clustering", "k-means", "customer-segmentation", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # io: segkit::io, reading customer files (libcsv) and model files (nlohmann_json).
    options = {"io": [True, False]}
    default_options = {"io": True, "xtensor/*:xsimd": False}
    exports_sources = "CMakeLists.txt", "cmake/*", "include/*"
    no_copy_source = True

    def set_version(self):
        # The version is written once, in version.hpp.
        text = load(self, os.path.join(self.recipe_folder, "include", "segkit", "version.hpp"))
        parts = [re.search(rf"#define SEGKIT_VERSION_{p} (\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
        self.version = ".".join(parts)

    def requirements(self):
        # The versions segkit is tested with (Debian 12's) up to the next that may break it.
        # Included by segkit's public headers, so every requirement reaches the consumer.
        # xtensor without XTENSOR_USE_XSIMD (its option), as Debian builds it: segkit's
        # kernels call xsimd themselves.
        self.requires("xtl/[>=0.7.2 <0.8]")
        self.requires("xsimd/[>=8.1.0 <9]")
        self.requires("xtensor/[>=0.24.3 <0.25]")
        self.requires("xtensor-blas/[>=0.20.0 <0.21]")
        self.requires("openblas/[>=0.3.21 <0.4]")
        if self.options.io:
            self.requires("nlohmann_json/[>=3.11.2 <4]")
            self.requires("libcsv/[>=3.0.3 <4]")

    def validate(self):
        from conan.tools.build import check_min_cppstd
        check_min_cppstd(self, 20)

    def package_id(self):
        # Headers only: no setting or dependency's binary changes the package; the io option
        # does (segkit::io is installed or not).
        self.info.settings.clear()
        self.info.requires.clear()

    def layout(self):
        cmake_layout(self)

    def generate(self):
        CMakeDeps(self).generate()
        tc = CMakeToolchain(self)
        tc.cache_variables["SEGKIT_IO"] = bool(self.options.io)
        for part in ("TESTS", "BENCHMARKS", "EXAMPLES", "TOOLS"):
            tc.cache_variables[f"SEGKIT_BUILD_{part}"] = False
        tc.cache_variables["SEGKIT_INSTALL"] = True
        tc.cache_variables["SEGKIT_WITH_MPI"] = "OFF"
        tc.generate()

    def build(self):
        CMake(self).configure()

    def package(self):
        CMake(self).install()

    def package_info(self):
        # find_package(segkit) reads the package's own segkitConfig.cmake (share/cmake/segkit).
        self.cpp_info.set_property("cmake_find_mode", "none")
        self.cpp_info.builddirs = [os.path.join("share", "cmake", "segkit")]
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
