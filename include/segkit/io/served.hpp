#pragma once
// A model that keeps learning while it serves. partial_fit moves a model's centres with a
// batch of new customers by the mini-batch rule (Sculley 2010; scikit-learn's
// MiniBatchKMeans.partial_fit without its random reassignment, which would renumber
// segments): each centre stays the mean of every customer it has stood for, its count
// (Model::counts) weighing the old centre against the batch's members. ServedModel serves
// predictions from any number of threads while updates arrive: a reader takes the model
// current when it starts, an update works on a copy and publishes it whole, so every
// answer comes from the old model or the new one, never from a mix. Part of segkit::io.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/data/table.hpp"
#include "segkit/io/model.hpp"

namespace segkit::io {

/// What one partial_fit did.
struct Update {
  /// The batch's customers and the segments they were put in (by the centres before the
  /// update, as scikit-learn's partial_fit assigns them), with those it could not assign.
  Assignment assignment;
  std::vector<std::size_t> added;  ///< per segment (label order): customers of the batch it took
  std::vector<double> moved;       ///< per segment: how far its centre moved (scaled space, Euclidean)
};

/// One mini-batch step on `model` with the customers of `batch` (a table with the columns the
/// model's preparation reads): each customer joins its nearest segment, and a segment that took
/// m customers of summed scaled features s moves to (count * centre + s) / (count + m), its count
/// growing by m. The scaler and the preparation stay as fitted. Needs the squared Euclidean
/// distance (its centre is the mean) and the model's counts; a segkit::error otherwise.
inline Update partial_fit(Model& model, const data::Table& batch) {
  if (model.mixture)
    throw error("partial_fit moves k-means centres; a Gaussian mixture's model is fitted again instead");
  if (model.density)
    throw error("partial_fit moves k-means centres; a DBSCAN model has none to move and is fitted again instead");
  if (model.prototypes)
    throw error(
        "partial_fit moves k-means centres; a k-prototypes model's modes are categories, and it is fitted "
        "again instead");
  if (model.algorithm == "kmedoids")
    throw error(
        "partial_fit moves k-means centres to means; a k-medoids model's centres are customers, and it is "
        "fitted again instead");
  const std::size_t k = model.centers.shape(0), d = model.centers.shape(1);
  if (model.distance != "sqeuclidean")
    throw error(
        "partial_fit moves centres as means, which is the centre of the squared Euclidean distance only, "
        "not of \"" +
        model.distance + "\"");
  if (model.counts.size() != k)
    throw error(
        "the model has no count of the customers behind each segment (a model file written without "
        "\"counts\"): fit it again with this segkit to update it");
  Update out;
  xt::xtensor<double, 2> scaled;
  out.assignment = model.predict(batch, &scaled);
  const std::vector<std::size_t>& labels = out.assignment.labels;
  std::vector<double> sums(k * d, 0.0);
  out.added.assign(k, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    ++out.added[labels[i]];
    for (std::size_t j = 0; j < d; ++j) sums[labels[i] * d + j] += scaled(i, j);
  }
  out.moved.assign(k, 0.0);
  for (std::size_t c = 0; c < k; ++c) {
    if (out.added[c] == 0) continue;
    const double count = model.counts[c], total = count + static_cast<double>(out.added[c]);
    double moved = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double next = (count * model.centers(c, j) + sums[c * d + j]) / total;
      moved += (next - model.centers(c, j)) * (next - model.centers(c, j));
      model.centers(c, j) = next;
    }
    model.counts[c] = total;
    out.moved[c] = std::sqrt(moved);
  }
  return out;
}

/// A model served from many threads while it is updated. predict and predict_one may be
/// called from any number of threads at once, and at the same time as partial_fit: each call
/// answers from one whole model, the one current when it began. Updates run one at a time.
class ServedModel {
 public:
  explicit ServedModel(Model model) : model_(std::make_shared<const Model>(std::move(model))) {}

  /// The model current now; it stays whole and unchanged for as long as it is held.
  std::shared_ptr<const Model> current() const {
    const std::lock_guard lock(pointer_);
    return model_;
  }

  Assignment predict(const data::Table& table) const { return current()->predict(table); }
  std::size_t predict_one(const std::map<std::string, std::string>& customer) const {
    return current()->predict_one(customer);
  }

  /// One mini-batch step (io::partial_fit) on a copy of the current model, then that copy
  /// made current. With `save_to`, the new model is first written there atomically (a reader
  /// of the file sees the old file or the new one); if that fails, nothing changes.
  Update partial_fit(const data::Table& batch, const std::optional<std::filesystem::path>& save_to = {}) {
    const std::lock_guard one_at_a_time(update_);
    auto next = std::make_shared<Model>(*current());
    Update update = io::partial_fit(*next, batch);
    if (save_to) save_model(*save_to, *next);
    const std::lock_guard lock(pointer_);
    model_ = std::move(next);
    return update;
  }

 private:
  // Guards only the pointer's copy and swap: readers never wait on an update's work.
  mutable std::mutex pointer_;
  std::mutex update_;
  std::shared_ptr<const Model> model_;
};

}  // namespace segkit::io
