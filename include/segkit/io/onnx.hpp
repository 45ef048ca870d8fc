#pragma once
// A fitted k-means model as an ONNX graph of standard operators, for systems that serve
// ONNX (onnxruntime, a database's ML extension) rather than C++. The layout of
// scikit-learn's converters (skl2onnx): the scaler, then the squared distances as
// ReduceSumSquare(x) - 2 x.C^T + |c|^2 (Gemm), then ArgMin. The graph's input is the
// model's prepared features in double (Model::preparation's feature_names, in that order:
// what the preparation makes of a customer's columns, before scaling); its outputs are
// "label" (int64, one per row: the segment's id, Model::segment_id, through a Gather when a
// model aligned with an earlier one has ids other than 0..k-1) and "distances" (squared,
// one per row and segment, in the model's segment order).
//
// The file is written with a small protobuf encoder of the few ONNX messages it needs
// (onnx.proto's field numbers), so segkit::io needs no protobuf library.

#include <bit>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/io/model.hpp"
#include "segkit/version.hpp"

namespace segkit::io {

namespace detail {

/// Protocol-buffer wire format: a message is a string of (field, value) records.
class ProtoWriter {
 public:
  ProtoWriter& varint(std::uint32_t field, std::uint64_t value) {
    key(field, 0);
    put_varint(value);
    return *this;
  }
  ProtoWriter& bytes(std::uint32_t field, std::string_view value) {
    key(field, 2);
    put_varint(value.size());
    out_.append(value);
    return *this;
  }
  ProtoWriter& message(std::uint32_t field, const ProtoWriter& inner) { return bytes(field, inner.out_); }
  ProtoWriter& fixed32(std::uint32_t field, float value) {
    key(field, 5);
    const auto bits = std::bit_cast<std::uint32_t>(value);
    for (int b = 0; b < 4; ++b) out_.push_back(static_cast<char>((bits >> (8 * b)) & 0xFF));
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  void key(std::uint32_t field, std::uint32_t wire_type) { put_varint((std::uint64_t{field} << 3) | wire_type); }
  void put_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

// onnx.proto's numbers: TensorProto.DataType and AttributeProto.AttributeType.
inline constexpr std::uint64_t onnx_int64 = 7, onnx_double = 11;
inline constexpr std::uint64_t attribute_float = 1, attribute_int = 2, attribute_ints = 7;

/// A TensorProto of doubles or 64-bit integers (little-endian raw data, as ONNX stores it).
template <class V>
requires std::same_as<V, double> || std::same_as<V, std::int64_t> ProtoWriter
onnx_tensor(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<V>& values) {
  ProtoWriter t;
  for (const std::int64_t dim : dims) t.varint(1, static_cast<std::uint64_t>(dim));
  t.varint(2, std::same_as<V, double> ? onnx_double : onnx_int64);
  t.bytes(8, name);
  std::string raw;
  raw.reserve(values.size() * 8);
  for (const V v : values) {
    const auto bits = std::bit_cast<std::uint64_t>(v);
    for (int b = 0; b < 8; ++b) raw.push_back(static_cast<char>((bits >> (8 * b)) & 0xFF));
  }
  t.bytes(9, raw);
  return t;
}

/// A ValueInfoProto: a tensor of elem_type whose dimensions are names ("N") or sizes.
inline ProtoWriter onnx_value(const std::string& name, std::uint64_t elem_type, const std::vector<std::string>& dims) {
  ProtoWriter shape;
  for (const std::string& dim : dims) {
    ProtoWriter d;
    if (!dim.empty() && dim.find_first_not_of("0123456789") == std::string::npos)
      d.varint(1, std::stoull(dim));
    else
      d.bytes(2, dim);
    shape.message(1, d);
  }
  ProtoWriter tensor;
  tensor.varint(1, elem_type).message(2, shape);
  ProtoWriter type;
  type.message(1, tensor);
  ProtoWriter value;
  value.bytes(1, name).message(2, type);
  return value;
}

struct OnnxAttribute {
  std::string name;
  std::uint64_t type = 0;
  std::int64_t i = 0;
  float f = 0;
  std::vector<std::int64_t> ints{};

  static OnnxAttribute integer(std::string name, std::int64_t value) { return {std::move(name), attribute_int, value}; }
  static OnnxAttribute real(std::string name, float value) { return {std::move(name), attribute_float, 0, value}; }
  static OnnxAttribute integers(std::string name, std::vector<std::int64_t> values) {
    return {std::move(name), attribute_ints, 0, 0, std::move(values)};
  }
};

inline ProtoWriter onnx_node(const std::string& op, const std::vector<std::string>& inputs,
                             const std::vector<std::string>& outputs,
                             const std::vector<OnnxAttribute>& attributes = {}) {
  ProtoWriter node;
  for (const std::string& in : inputs) node.bytes(1, in);
  for (const std::string& out : outputs) node.bytes(2, out);
  node.bytes(3, outputs.front() + "_" + op);
  node.bytes(4, op);
  for (const OnnxAttribute& a : attributes) {
    ProtoWriter attribute;
    attribute.bytes(1, a.name);
    if (a.type == attribute_float) attribute.fixed32(2, a.f);
    if (a.type == attribute_int) attribute.varint(3, static_cast<std::uint64_t>(a.i));
    for (const std::int64_t v : a.ints) attribute.varint(8, static_cast<std::uint64_t>(v));
    attribute.varint(20, a.type);
    node.message(5, attribute);
  }
  return node;
}

}  // namespace detail

/// The ONNX file (ModelProto bytes; IR version 7, operator set 13) that assigns prepared
/// features to the model's segments. Needs the squared Euclidean distance and a scaler
/// that is a per-feature shift and scale (every built-in one is); otherwise a segkit::error.
inline std::string to_onnx(const Model& model) {
  if (const auto kind = model.rule_of_its_own())
    throw error(*kind + " cannot be written as ONNX (its graph is the nearest centre's)");
  if (model.distance != "sqeuclidean")
    throw error("only a model of the squared Euclidean distance can be written as ONNX, not \"" + model.distance +
                "\"");
  const std::size_t k = model.centers.shape(0), d = model.centers.shape(1);
  if (k == 0 || d == 0) throw error("the model has no centres to write as ONNX");
  const ShiftAndScale scaler = shift_and_scale(model, "ONNX");
  const bool identity = scaler.identity;
  using detail::onnx_node;
  using detail::onnx_tensor;
  using detail::OnnxAttribute;
  using detail::ProtoWriter;
  const auto D = static_cast<std::int64_t>(d), K = static_cast<std::int64_t>(k);

  ProtoWriter graph;
  std::string scaled = "features";
  if (!identity) {
    graph.message(1, onnx_node("Sub", {"features", "scaler_center"}, {"shifted"}));
    graph.message(1, onnx_node("Div", {"shifted", "scaler_scale"}, {"scaled"}));
    scaled = "scaled";
  }
  graph.message(1, onnx_node("ReduceSumSquare", {scaled}, {"row_norms"},
                             {OnnxAttribute::integers("axes", {1}), OnnxAttribute::integer("keepdims", 1)}));
  // -2 x.c + |c|^2 in one Gemm (alpha and beta are floats in ONNX: -2 and 1 are exact).
  graph.message(1, onnx_node("Gemm", {scaled, "centers", "center_norms"}, {"products"},
                             {OnnxAttribute::integer("transB", 1), OnnxAttribute::real("alpha", -2.0f),
                              OnnxAttribute::real("beta", 1.0f)}));
  graph.message(1, onnx_node("Add", {"products", "row_norms"}, {"distances"}));
  // A model aligned with an earlier one (Model::segment_ids) names its segments by id:
  // the nearest centre's position, then its id.
  std::vector<std::int64_t> ids(k);
  bool plain_ids = true;
  for (std::size_t c = 0; c < k; ++c) {
    ids[c] = static_cast<std::int64_t>(model.segment_id(c));
    plain_ids = plain_ids && model.segment_id(c) == c;
  }
  const std::string nearest = plain_ids ? "label" : "nearest_center";
  graph.message(1, onnx_node("ArgMin", {"distances"}, {nearest},
                             {OnnxAttribute::integer("axis", 1), OnnxAttribute::integer("keepdims", 0)}));
  if (!plain_ids)
    graph.message(1, onnx_node("Gather", {"segment_ids", nearest}, {"label"}, {OnnxAttribute::integer("axis", 0)}));
  graph.bytes(2, "segkit_kmeans");
  if (!identity) {
    graph.message(5, onnx_tensor("scaler_center", {D}, scaler.center));
    graph.message(5, onnx_tensor("scaler_scale", {D}, scaler.scale));
  }
  std::vector<double> centers(model.centers.begin(), model.centers.end()), norms(k, 0.0);
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < d; ++j) norms[c] += model.centers(c, j) * model.centers(c, j);
  graph.message(5, onnx_tensor("centers", {K, D}, centers));
  graph.message(5, onnx_tensor("center_norms", {K}, norms));
  if (!plain_ids) graph.message(5, onnx_tensor("segment_ids", {K}, ids));
  std::string names;
  for (const std::string& f : model.preparation.feature_names()) names += (names.empty() ? "" : ", ") + f;
  graph.bytes(10, "k-means segments; input columns, in order: " + names);
  graph.message(11, detail::onnx_value("features", detail::onnx_double, {"N", std::to_string(d)}));
  graph.message(12, detail::onnx_value("label", detail::onnx_int64, {"N"}));
  graph.message(12, detail::onnx_value("distances", detail::onnx_double, {"N", std::to_string(k)}));

  ProtoWriter opset;
  opset.bytes(1, "").varint(2, 13);
  ProtoWriter file;
  file.varint(1, 7).message(8, opset).bytes(2, "segkit").bytes(3, segkit::version).message(7, graph);
  return file.str();
}

}  // namespace segkit::io
