# A Conan package that stands for a library installed by a Debian package, so that segkit's
# recipe (conanfile.py) is created and tested offline, against the libraries segkit is
# developed with, where ConanCenter cannot be reached. Name and version are given:
#
#   conan export packaging/conan/debian --name xtensor --version 0.24.3
#
# It holds nothing: its headers and libraries are the Debian package's, in the compiler's
# default paths; it says what CMake names ConanCenter's recipe gives them, and which other
# packages it needs. packaging/conan/check.sh exports one per dependency.
import subprocess

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration

# name: (Debian package, CMake file name, CMake target, libraries to link, requirements)
DEBIAN = {
    "xtl": ("xtl-dev", "xtl", "xtl", [], []),
    "xsimd": ("libxsimd-dev", "xsimd", "xsimd", [], []),
    "xtensor": ("libxtensor-dev", "xtensor", "xtensor", [], ["xtl", "xsimd"]),
    "openblas": ("libopenblas-dev", "OpenBLAS", "OpenBLAS::OpenBLAS", ["openblas"], []),
    "xtensor-blas": ("libxtensor-blas-dev", "xtensor-blas", "xtensor-blas", [], ["xtensor", "openblas"]),
    "nlohmann_json": ("nlohmann-json3-dev", "nlohmann_json", "nlohmann_json::nlohmann_json", [], []),
    "libcsv": ("libcsv-dev", "libcsv", "libcsv::libcsv", ["csv"], []),
}


class DebianPackage(ConanFile):
    package_type = "unknown"
    settings = "os", "arch", "compiler", "build_type"
    # ConanCenter's xtensor has this option (segkit's recipe sets it); the others ignore it.
    options = {"xsimd": [True, False, None]}
    default_options = {"xsimd": None}

    def _entry(self):
        if self.name not in DEBIAN:
            raise ConanInvalidConfiguration(f"no Debian package is known for {self.name}")
        return DEBIAN[self.name]

    def _installed_version(self):
        debian_package = self._entry()[0]
        try:
            out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", debian_package], capture_output=True,
                                 text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            raise ConanInvalidConfiguration(f"{self.name} stands for the Debian package {debian_package}, "
                                            f"which is not installed (apt-get install {debian_package})")
        return out.split(":")[-1].split("-")[0].split("+")[0]

    def requirements(self):
        for name in self._entry()[4]:
            self.requires(f"{name}/[*]", transitive_headers=True, transitive_libs=True)

    def validate(self):
        installed = self._installed_version()
        if installed != str(self.version):
            raise ConanInvalidConfiguration(f"{self.name}/{self.version} stands for the Debian package "
                                            f"{self._entry()[0]}, which is version {installed} here")

    def package_id(self):
        if not self._entry()[3]:
            self.info.clear()

    def package_info(self):
        _, file_name, target, libs, _ = self._entry()
        self.cpp_info.set_property("cmake_file_name", file_name)
        self.cpp_info.set_property("cmake_target_name", target)
        # The compiler's default paths hold the headers and the libraries.
        self.cpp_info.includedirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.bindirs = []
        self.cpp_info.system_libs = libs
