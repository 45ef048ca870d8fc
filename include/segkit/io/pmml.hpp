#pragma once
// A fitted k-means model as PMML 4.4, the XML that scoring engines of other systems read
// (JPMML, a database's or a BI tool's PMML scorer): a ClusteringModel of modelClass
// "centerBased", its scaler as LocalTransformations (each prepared feature shifted and
// divided), the comparison measure (squaredEuclidean, or cityBlock for the Manhattan
// distance) and one Cluster per segment with its centre in the scaled space. Its input
// fields are the model's prepared features (Model::preparation's feature_names), as for
// the ONNX graph (io/onnx.hpp); the predicted value is the segment's id (Model::segment_id:
// 0..k-1 unless the model was aligned with a previous one).

#include <cstdio>
#include <string>

#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/io/model.hpp"
#include "segkit/version.hpp"

namespace segkit::io {

namespace detail {

/// A double that reads back to the same bits.
inline std::string exact_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

}  // namespace detail

/// The PMML 4.4 document of the model. Needs the squared Euclidean or the Manhattan distance
/// and a scaler that is a per-feature shift and scale (every built-in one is); otherwise a
/// segkit::error.
inline std::string to_pmml(const Model& model) {
  if (const auto kind = model.rule_of_its_own())
    throw error(*kind + " cannot be written as PMML (its ClusteringModel is the nearest centre's)");
  std::string measure;
  if (model.distance == "sqeuclidean")
    measure = "squaredEuclidean";
  else if (model.distance == "manhattan")
    measure = "cityBlock";
  else
    throw error("PMML has no comparison measure for the distance \"" + model.distance +
                "\" (squared Euclidean and Manhattan models can be written)");
  const std::size_t k = model.centers.shape(0), d = model.centers.shape(1);
  if (k == 0 || d == 0) throw error("the model has no centres to write as PMML");
  const std::vector<std::string>& names = model.preparation.feature_names();
  if (names.size() != d)
    throw error("the model has " + std::to_string(d) + " centre coordinates but " + std::to_string(names.size()) +
                " feature names");
  const ShiftAndScale scaler = shift_and_scale(model, "PMML");
  using detail::exact_number;
  const auto xml_escape = [](const std::string& text) { return segkit::markup_escape(text); };
  const auto scaled_name = [&](std::size_t j) { return scaler.identity ? names[j] : "scaled(" + names[j] + ")"; };

  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n";
  x += "  <Header description=\"customer segments (k-means)\">\n";
  x += "    <Application name=\"segkit\" version=\"" + std::string(segkit::version) + "\"/>\n";
  x += "  </Header>\n";
  x += "  <DataDictionary numberOfFields=\"" + std::to_string(d + 1) + "\">\n";
  for (const std::string& name : names)
    x += "    <DataField name=\"" + xml_escape(name) + "\" optype=\"continuous\" dataType=\"double\"/>\n";
  x += "    <DataField name=\"segment\" optype=\"categorical\" dataType=\"integer\">\n";
  for (std::size_t c = 0; c < k; ++c) x += "      <Value value=\"" + std::to_string(model.segment_id(c)) + "\"/>\n";
  x += "    </DataField>\n";
  x += "  </DataDictionary>\n";
  x += "  <ClusteringModel modelName=\"segkit\" functionName=\"clustering\" modelClass=\"centerBased\" "
       "numberOfClusters=\"" +
       std::to_string(k) + "\">\n";
  x += "    <MiningSchema>\n";
  for (const std::string& name : names) x += "      <MiningField name=\"" + xml_escape(name) + "\"/>\n";
  x += "      <MiningField name=\"segment\" usageType=\"predicted\"/>\n";
  x += "    </MiningSchema>\n";
  x += "    <Output>\n";
  x += "      <OutputField name=\"predicted segment\" optype=\"categorical\" dataType=\"integer\" "
       "feature=\"predictedValue\"/>\n";
  x += "    </Output>\n";
  if (!scaler.identity) {
    x += "    <LocalTransformations>\n";
    for (std::size_t j = 0; j < d; ++j) {
      x += "      <DerivedField name=\"" + xml_escape(scaled_name(j)) +
           "\" optype=\"continuous\" dataType=\"double\">\n";
      x += "        <Apply function=\"/\">\n";
      x += "          <Apply function=\"-\">\n";
      x += "            <FieldRef field=\"" + xml_escape(names[j]) + "\"/>\n";
      x += "            <Constant dataType=\"double\">" + exact_number(scaler.center[j]) + "</Constant>\n";
      x += "          </Apply>\n";
      x += "          <Constant dataType=\"double\">" + exact_number(scaler.scale[j]) + "</Constant>\n";
      x += "        </Apply>\n";
      x += "      </DerivedField>\n";
    }
    x += "    </LocalTransformations>\n";
  }
  x += "    <ComparisonMeasure kind=\"distance\">\n";
  x += "      <" + measure + "/>\n";
  x += "    </ComparisonMeasure>\n";
  for (std::size_t j = 0; j < d; ++j)
    x += "    <ClusteringField field=\"" + xml_escape(scaled_name(j)) + "\" compareFunction=\"absDiff\"/>\n";
  for (std::size_t c = 0; c < k; ++c) {
    const std::string name = c < model.segment_names.size() ? model.segment_names[c] : "";
    x += "    <Cluster id=\"" + std::to_string(model.segment_id(c)) + "\"";
    if (!name.empty()) x += " name=\"" + xml_escape(name) + "\"";
    x += ">\n";
    x += "      <Array n=\"" + std::to_string(d) + "\" type=\"real\">";
    for (std::size_t j = 0; j < d; ++j) {
      if (j) x += ' ';
      x += exact_number(model.centers(c, j));
    }
    x += "</Array>\n";
    x += "    </Cluster>\n";
  }
  x += "  </ClusteringModel>\n";
  x += "</PMML>\n";
  return x;
}

}  // namespace segkit::io
