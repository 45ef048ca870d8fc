// libFuzzer harness: any bytes as a customer file, read, prepared and prepared again
// as new customers. Bad input must end in segkit::error; anything else (another
// exception, a crash, a sanitizer report) is a finding. Built and run by fuzz/run.sh.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <segkit/core/error.hpp>
#include <segkit/data/csv.hpp>
#include <segkit/features/prepare.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const segkit::data::Table table = segkit::data::parse_csv(text, {}, "fuzz.csv");
    segkit::features::PrepareOptions options;
    options.threads = 1;
    // The first byte picks the policies, so every branch of the preparation is reached.
    const unsigned pick = size > 0 ? data[0] : 0;
    if (pick & 1) options.missing = segkit::features::MissingPolicy::drop_rows;
    if (pick & 2) options.outliers = segkit::features::OutlierPolicy::clip;
    options.log_skewed = (pick & 4) != 0;
    const auto preparation = segkit::features::Preparation::fit(table, options);
    (void)preparation.transform(table);
  } catch (const segkit::error&) {
  }
  return 0;
}
