// A retail backend doing what the segkit tool does, with the workflow layer's few
// calls: segment a customer file (K chosen by the scores), describe each segment,
// save the model, load it back and assign the customers again; then RFM segments
// from a transaction log. It prints nothing the library did not compute, and
// exits non-zero if the reloaded model puts any customer elsewhere.
//
//   backend_workflow [customers.tsv] [transactions.csv]

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include <segkit/workflow/report.hpp>  // target segkit::io
#include <segkit/workflow/rfm.hpp>
#include <segkit/workflow/segment.hpp>

int main(int argc, char** argv) {
  const std::string customers_path =
      argc > 1 ? argv[1] : SEGKIT_DATA_DIR "/customer_personality/marketing_campaign.csv";
  const std::string transactions_path =
      argc > 2 ? argv[2] : SEGKIT_DATA_DIR "/retail_data_transactions/Retail_Data_Transactions.csv";
  std::error_code ignored;
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("segkit-backend-" + std::to_string(std::random_device{}()));
  try {
    // 1. Customers: the spending columns, K from 2 to 8 chosen by the scores.
    segkit::workflow::SegmentOptions options;
    options.prepare.columns = {"Income",       "MntWines",        "MntMeatProducts",
                               "MntGoldProds", "NumWebPurchases", "NumStorePurchases"};
    options.cluster.k_min = 2;
    options.cluster.k_max = 8;
    options.cluster.seed = 7;
    options.source = customers_path;
    const segkit::workflow::Segmentation segmentation =
        segkit::workflow::segment(segkit::workflow::read_customers(customers_path, {}, "ID"), options);
    std::printf("%zu customers, %s\n", segmentation.customers, segmentation.fit.k_reason.c_str());
    for (const auto& s : segmentation.profiles.segments)
      std::printf("  %-40s %5zu customers, income %8.0f\n", s.name.c_str(), s.size, s.mean[0]);

    // 2. The model, saved and loaded as `segkit predict` would, gives every customer the same segment.
    std::filesystem::create_directory(work);
    const std::filesystem::path model_path = work / "model.json";
    segkit::io::save_model(model_path, segkit::workflow::model_of(segmentation));
    const segkit::io::Model model = segkit::io::load_model(model_path);
    const segkit::workflow::CustomerTable again = segkit::workflow::read_customers(customers_path, {}, "ID");
    const segkit::io::Assignment assignment = model.predict(again.table);
    std::size_t moved = 0;
    for (std::size_t i = 0; i < assignment.labels.size(); ++i)
      moved += assignment.labels[i] != segmentation.fit.labels[i];
    std::printf("reloaded model: %zu of %zu customers in another segment\n", moved, assignment.labels.size());
    std::filesystem::remove_all(work, ignored);
    if (moved != 0 || assignment.labels.size() != segmentation.customers) return 1;

    // 3. Transactions: recency, frequency and monetary value, four k-means segments.
    segkit::workflow::RfmSegmentOptions rfm_options;
    rfm_options.columns.customer = "customer_id";
    rfm_options.columns.date = "trans_date";
    rfm_options.columns.amount = "tran_amount";
    rfm_options.cluster.k = 4;
    const segkit::data::Table transactions =
        segkit::data::read_csv(transactions_path, segkit::workflow::rfm_read_options(rfm_options.columns));
    const segkit::workflow::RfmSegmentation rfm = segkit::workflow::segment_rfm(transactions, rfm_options);
    std::printf("RFM of %zu customers as of %s\n", rfm.rfm.size(), segkit::format_date(rfm.rfm.report.as_of).c_str());
    for (const auto& s : rfm.profiles.segments)
      std::printf("  %-40s %5zu customers, %5.1f purchases\n", s.name.c_str(), s.size, s.mean[1]);
  } catch (const std::exception& e) {
    std::filesystem::remove_all(work, ignored);
    std::fprintf(stderr, "backend_workflow: %s\n", e.what());
    return 1;
  }
  return 0;
}
