// libFuzzer harness: any bytes as a model file, loaded, and when it loads, asked to
// assign a customer. A broken model must end in segkit::error; anything else (another
// exception, a crash, a sanitizer report) is a finding. Built and run by fuzz/run.sh.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <segkit/core/error.hpp>
#include <segkit/io/model.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const segkit::io::Model model = segkit::io::model_from_json(text, "fuzz.json");
    std::map<std::string, std::string> customer;
    for (const auto& recipe : model.preparation.recipes()) customer[recipe.source] = "1";
    (void)model.predict_one(customer);
  } catch (const segkit::error&) {
  }
  return 0;
}
