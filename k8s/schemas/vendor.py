#!/usr/bin/env python3
"""Regenerates the vendored JSON schemas in k8s/schemas/ (see SOURCE.md).

Every schema comes from a pinned artifact on Maven Central, fetched with Maven into ~/.m2, and is
converted into one self-contained, *strict* JSON Schema (draft-07) per kind: an object that lists
its properties rejects any other property, as kubeconform's -strict mode and the API server's
pruning of structural schemas do. Descriptions are dropped to keep the files small.

    /usr/bin/python3 k8s/schemas/vendor.py      # needs mvn, network to Maven Central, python3-yaml

The output is committed; the tests (KubernetesManifestsTest) read it offline.
"""
import copy
import json
import os
import subprocess
import sys
import zipfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
M2 = os.path.expanduser("~/.m2/repository")

FABRIC8 = "6.13.5"
STRIMZI = "0.51.0"
FLINK_OPERATOR = "1.10.0"
# FlinkVersion values of the operator releases after FLINK_OPERATOR (not on Maven Central when this
# was vendored); the only schema change bloomstream relies on. See SOURCE.md.
FLINK_VERSIONS_ADDED = ["v2_0", "v2_1", "v2_2"]

# kind -> (apiVersion, fabric8 definition)
CORE_KINDS = {
    ("v1", "Namespace"): "kubernetes_core_Namespace",
    ("v1", "ConfigMap"): "kubernetes_core_ConfigMap",
    ("v1", "Service"): "kubernetes_core_Service",
    ("v1", "ServiceAccount"): "kubernetes_core_ServiceAccount",
    ("apps/v1", "Deployment"): "kubernetes_apps_Deployment",
    ("networking.k8s.io/v1", "NetworkPolicy"): "kubernetes_networking_v1_NetworkPolicy",
    ("policy/v1", "PodDisruptionBudget"): "kubernetes_policy_v1_PodDisruptionBudget",
    ("monitoring.coreos.com/v1", "PodMonitor"): "os_monitoring_v1_PodMonitor",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "os_monitoring_v1_ServiceMonitor",
}
OBJECT_META = "kubernetes_apimachinery_ObjectMeta"

# Go/Java types that fabric8 models as Java objects but that are plain JSON values on the wire.
WIRE_TYPES = {
    "kubernetes_apimachinery_pkg_util_intstr_IntOrString": {
        "anyOf": [{"type": "integer"}, {"type": "string"}]
    },
    "k8s_io_apimachinery_pkg_api_resource_Quantity": {
        "anyOf": [{"type": "string"}, {"type": "number"}]
    },
    "kubernetes_resource_Quantity": {"anyOf": [{"type": "string"}, {"type": "number"}]},
    "kubernetes_apimachinery_FieldsV1": {},
    "kubernetes_apimachinery_Patch": {},
    "kubernetes_apimachinery_pkg_runtime_RawExtension": {},
    "k8s_io_apiextensions_apiserver_pkg_apis_apiextensions_v1_JSON": {},
}


def artifact(gav, classifier=None):
    group, name, version = gav.split(":")
    jar = f"{name}-{version}" + (f"-{classifier}" if classifier else "") + ".jar"
    path = os.path.join(M2, group.replace(".", "/"), name, version, jar)
    if not os.path.isfile(path):
        coords = gav + (f":jar:{classifier}" if classifier else "")
        subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get",
                f"-Dartifact={coords}",
                "-Dtransitive=false",
            ],
            check=True,
        )
    return path


def read(jar, entry):
    with zipfile.ZipFile(jar) as z:
        return z.read(entry)


# ---- fabric8 (Java-model-derived) schemas -------------------------------------------------------


def fabric8_node(node, defs_used, pending):
    """Converts one fabric8 schema node; collects referenced definitions."""
    if isinstance(node, list):
        return [fabric8_node(n, defs_used, pending) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    required = []
    for key, value in node.items():
        if key.startswith("java") or key in ("existingJavaType", "description", "default"):
            continue
        if key == "$ref":
            name = value.split("/")[-1]
            if name not in defs_used:
                defs_used.add(name)
                pending.append(name)
            out[key] = value
        elif key == "properties":
            props = {}
            for pname, pschema in value.items():
                if isinstance(pschema, dict) and pschema.get("required") is True:
                    required.append(pname)
                props[pname] = fabric8_node(pschema, defs_used, pending)
            out[key] = props
        elif key == "required" and not isinstance(value, list):
            continue  # draft-03 style flag, moved to the parent's list above
        else:
            out[key] = fabric8_node(value, defs_used, pending)
    if required:
        out["required"] = sorted(required)
    if "properties" in out and out.get("additionalProperties") in (True, None):
        out["additionalProperties"] = False
    return out


def fabric8_definitions(defs, root):
    """The converted definitions reachable from root (and ObjectMeta)."""
    used = {root, OBJECT_META}
    pending = [root, OBJECT_META]
    converted = {}
    while pending:
        name = pending.pop()
        if name in WIRE_TYPES:
            converted[name] = copy.deepcopy(WIRE_TYPES[name])
            continue
        converted[name] = fabric8_node(defs[name], used, pending)
    return converted


def fabric8_schema(defs, root, api_version, kind):
    converted = fabric8_definitions(defs, root)
    top = converted[root]
    top["properties"]["apiVersion"] = {"type": "string", "enum": [api_version]}
    top["properties"]["kind"] = {"type": "string", "enum": [kind]}
    top["required"] = sorted(set(top.get("required", [])) | {"apiVersion", "kind", "metadata"})
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": f"#/definitions/{root}",
        "definitions": dict(sorted(converted.items())),
    }


# ---- CRD openAPIV3Schema ------------------------------------------------------------------------


def crd_node(node):
    if isinstance(node, list):
        return [crd_node(n) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("x-kubernetes-int-or-string"):
        return {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    out = {}
    for key, value in node.items():
        if key in ("description", "format") or key.startswith("x-kubernetes-"):
            continue
        if key == "nullable":
            continue
        out[key] = crd_node(value)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def crd_schema(crd_yaml, version, object_meta_defs, patch=None):
    crd = yaml.safe_load(crd_yaml)
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"]
    served = [v for v in crd["spec"]["versions"] if v["name"] == version]
    if not served:
        sys.exit(f"{kind}: no version {version}")
    schema = copy.deepcopy(served[0]["schema"]["openAPIV3Schema"])
    if patch:
        patch(schema)
    top = crd_node(schema)
    top.setdefault("properties", {})
    top["properties"]["apiVersion"] = {"type": "string", "enum": [f"{group}/{version}"]}
    top["properties"]["kind"] = {"type": "string", "enum": [kind]}
    top["properties"]["metadata"] = {"$ref": f"#/definitions/{OBJECT_META}"}
    top["required"] = sorted(set(top.get("required", [])) | {"apiVersion", "kind", "metadata"})
    top["additionalProperties"] = False
    top["$schema"] = "http://json-schema.org/draft-07/schema#"
    top["definitions"] = object_meta_defs
    return group, kind, top


def add_flink_versions(schema):
    enum = schema["properties"]["spec"]["properties"]["flinkVersion"]["enum"]
    for v in FLINK_VERSIONS_ADDED:
        if v not in enum:
            enum.append(v)


def write(group, kind, version, schema):
    folder = os.path.join(HERE, group)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{kind.lower()}_{version}.json")
    with open(path, "w") as f:
        json.dump(schema, f, indent=1, sort_keys=True)
        f.write("\n")
    print(os.path.relpath(path, HERE))


def main():
    defs = {}
    for module in ("core", "apps", "networking", "policy"):
        jar = artifact(f"io.fabric8:kubernetes-model-{module}:{FABRIC8}")
        for entry in ("schema/validation-schema.json", "schema/kube-schema.json"):
            try:
                defs.update(json.loads(read(jar, entry))["definitions"])
            except KeyError:
                pass
    monitoring = artifact(f"io.fabric8:openshift-model-monitoring:{FABRIC8}")
    defs.update(json.loads(read(monitoring, "schema/validation-schema.json"))["definitions"])

    for (api_version, kind), root in CORE_KINDS.items():
        group, _, version = api_version.rpartition("/")
        write(group or "core", kind, version, fabric8_schema(defs, root, api_version, kind))

    meta = dict(sorted(fabric8_definitions(defs, OBJECT_META).items()))

    strimzi = artifact(f"io.strimzi:api:{STRIMZI}", classifier="tests")
    for entry in (
        "crds/v1/040-Crd-kafka.yaml",
        "crds/v1/043-Crd-kafkatopic.yaml",
        "crds/v1/045-Crd-kafkanodepool.yaml",
    ):
        group, kind, schema = crd_schema(read(strimzi, entry), "v1", meta)
        write(group, kind, "v1", schema)

    flink = artifact(f"org.apache.flink:flink-kubernetes-operator-api:{FLINK_OPERATOR}")
    group, kind, schema = crd_schema(
        read(flink, "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml"),
        "v1beta1",
        meta,
        patch=add_flink_versions,
    )
    write(group, kind, "v1beta1", schema)


if __name__ == "__main__":
    main()
