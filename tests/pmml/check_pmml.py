#!/usr/bin/python3
"""Reads a PMML file that segkit wrote, as a PMML consumer would, and scores with it.

    check_pmml.py MODEL.pmml FEATURES.csv LABELS.txt

Debian has no PMML scorer and no copy of the PMML 4.4 schema, so this is both: the document is
parsed with xml.etree and checked against what the PMML 4.4 specification requires of a
center-based ClusteringModel (namespace and version, a DataField per MiningField, numberOfClusters
Clusters whose Arrays have one value per ClusteringField, derived fields only from fields that
exist), then every row of FEATURES.csv (the prepared features, no header, in the DataDictionary's
order) is scored the way the specification says: the LocalTransformations applied, the comparison
measure summed over the ClusteringFields, the nearest Cluster's id predicted (the first on ties).
Each must equal the line of LABELS.txt that segkit's own predict gave. Exit status 0 when all hold.
"""

import sys
import xml.etree.ElementTree as ET

import numpy as np

NS = {"p": "http://www.dmg.org/PMML-4_4"}


def fail(message):
    raise SystemExit("check_pmml: " + message)


def evaluate(expression, fields):
    tag = expression.tag.split("}")[1]
    if tag == "FieldRef":
        return fields[expression.get("field")]
    if tag == "Constant":
        return float(expression.text)
    if tag == "Apply":
        args = [evaluate(child, fields) for child in expression]
        ops = {"-": np.subtract, "+": np.add, "*": np.multiply, "/": np.divide}
        if expression.get("function") not in ops or len(args) != 2:
            fail(f"unexpected Apply {expression.get('function')} of {len(args)} arguments")
        return ops[expression.get("function")](*args)
    fail(f"unexpected expression {tag}")


def main():
    model_path, features_path, labels_path = sys.argv[1:4]
    root = ET.parse(model_path).getroot()
    if root.tag != "{http://www.dmg.org/PMML-4_4}PMML" or root.get("version") != "4.4":
        fail(f"root is {root.tag} version {root.get('version')}, not PMML 4.4")
    data_fields = [f.get("name") for f in root.findall("p:DataDictionary/p:DataField", NS)]
    if int(root.find("p:DataDictionary", NS).get("numberOfFields")) != len(data_fields):
        fail("numberOfFields does not count the DataFields")
    model = root.find("p:ClusteringModel", NS)
    if model is None or model.get("modelClass") != "centerBased" or model.get("functionName") != "clustering":
        fail("no center-based clustering model")
    mining = model.findall("p:MiningSchema/p:MiningField", NS)
    if any(m.get("name") not in data_fields for m in mining):
        fail("a MiningField names no DataField")
    inputs = [m.get("name") for m in mining if m.get("usageType", "active") == "active"]
    features = np.loadtxt(features_path, delimiter=",", ndmin=2, dtype=np.float64)
    if features.shape[1] != len(inputs):
        fail(f"{features.shape[1]} feature columns for {len(inputs)} active fields")
    fields = {name: features[:, j] for j, name in enumerate(inputs)}
    for derived in model.findall("p:LocalTransformations/p:DerivedField", NS):
        children = list(derived)
        if len(children) != 1:
            fail(f"derived field {derived.get('name')} has {len(children)} expressions")
        fields[derived.get("name")] = evaluate(children[0], fields)
    measures = [m.tag.split("}")[1] for m in model.find("p:ComparisonMeasure", NS)]
    if model.find("p:ComparisonMeasure", NS).get("kind") != "distance" or len(measures) != 1:
        fail("the comparison measure is not one distance")
    measure = measures[0]
    compared = model.findall("p:ClusteringField", NS)
    if any(c.get("compareFunction", "absDiff") != "absDiff" for c in compared):
        fail("only absDiff comparisons are expected")
    X = np.stack([fields[c.get("field")] for c in compared], axis=1)
    clusters = model.findall("p:Cluster", NS)
    if int(model.get("numberOfClusters")) != len(clusters):
        fail("numberOfClusters does not count the Clusters")
    centres = []
    for cluster in clusters:
        array = cluster.find("p:Array", NS)
        values = [float(v) for v in array.text.split()]
        if int(array.get("n")) != len(values) or len(values) != len(compared):
            fail(f"cluster {cluster.get('id')} has {len(values)} values for {len(compared)} fields")
        centres.append(values)
    C = np.array(centres)
    diff = X[:, None, :] - C[None, :, :]
    if measure == "squaredEuclidean":
        distance = np.sum(diff * diff, axis=2)
    elif measure == "cityBlock":
        distance = np.sum(np.abs(diff), axis=2)
    else:
        fail(f"unexpected measure {measure}")
    ids = np.array([int(c.get("id")) for c in clusters])
    predicted = ids[np.argmin(distance, axis=1)]
    expected = np.loadtxt(labels_path, dtype=np.int64, ndmin=1)
    if predicted.shape != expected.shape:
        fail(f"{predicted.size} predictions, {expected.size} labels")
    wrong = np.flatnonzero(predicted != expected)
    if wrong.size:
        fail(f"{wrong.size} of {predicted.size} rows differ, first row {wrong[0]}: "
             f"PMML {predicted[wrong[0]]}, segkit {expected[wrong[0]]}")
    print(f"PMML 4.4 {measure}: {predicted.size} rows, {len(clusters)} segments, same labels")


if __name__ == "__main__":
    main()
