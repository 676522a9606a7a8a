"""The Gateway API CRDs' structural schemas (standard channel, v1; ReferenceGrant v1beta1), as data.

Transcribed from the CRDs' ``openAPIV3Schema`` in a compact notation: every field the API server
knows, with its type, enum, pattern, length and item limits, and required fields; objects refuse
unknown fields (strict decoding). Fields Podpath does not implement (CORS, mirrors, timeouts,
frontend TLS validation, ...) are known here only by name and left free-form: the API server would
accept them, so the schema does, and the subset check (``netcore.kube.gateway.subset``) refuses them
with "not supported by Podpath". The CRDs' CEL rules are in ``netcore.kube.gateway.checks``.
Validated with the same validator and error wording as the built-in kinds (``netcore.kube.schema``).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
HOSTNAME = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
GROUP = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
KIND = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$"
CONTROLLER = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"
PROTOCOL = (
    r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
    r"|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$"
)
ADDRESS_TYPE = (
    r"^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*"
    r"[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"
)
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
FREE: Schema = {}  # known to the API server; its content is the subset check's to refuse
OBJECT_META = {"$ref": "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
LABEL_SELECTOR = {"$ref": "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}


def obj(required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    """An object with exactly these properties (``from_`` stands for ``from``)."""
    schema: Schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name.rstrip("_"): value for name, value in properties.items()},
    }
    if required:
        schema["required"] = list(required)
    return schema


def arr(items: Schema, max_items: int | None = None, min_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    if min_items is not None:
        schema["minItems"] = min_items
    return schema


def string(
    pattern: str | None = None, max_len: int | None = None, min_len: int | None = None, enum: tuple[str, ...] = ()
) -> Schema:
    schema: Schema = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    if max_len is not None:
        schema["maxLength"] = max_len
    if min_len is not None:
        schema["minLength"] = min_len
    if enum:
        schema["enum"] = list(enum)
    return schema


def integer(minimum: int | None = None, maximum: int | None = None, enum: tuple[int, ...] = ()) -> Schema:
    schema: Schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if enum:
        schema["enum"] = list(enum)
    return schema


def free_map() -> Schema:
    return {"type": "object", "additionalProperties": {"type": "string"}}


PORT = integer(1, 65535)
NAME = string(None, 253, 1)
REF_GROUP = string(GROUP, 253)
REF_KIND = string(KIND, 63, 1)
REF_NAMESPACE = string(DNS_LABEL, 63, 1)
SECTION_NAME = string(DNS_SUBDOMAIN, 253, 1)
LOCAL_REF = obj(("group", "kind", "name"), group=REF_GROUP, kind=REF_KIND, name=NAME)
SECRET_REF = obj(("name",), group=REF_GROUP, kind=REF_KIND, name=NAME, namespace=REF_NAMESPACE)
BACKEND_REF_FIELDS: dict[str, Schema] = {
    "group": REF_GROUP,
    "kind": REF_KIND,
    "name": NAME,
    "namespace": REF_NAMESPACE,
    "port": PORT,
}
HEADER_PAIR = obj(("name", "value"), name=string(HEADER_NAME, 256, 1), value=string(None, 4096, 1))
HEADER_MODIFIER = obj(set=arr(HEADER_PAIR, 16), add=arr(HEADER_PAIR, 16), remove=arr(string(), 16))
PATH_MODIFIER = obj(
    ("type",),
    type=string(enum=("ReplaceFullPath", "ReplacePrefixMatch")),
    replaceFullPath=string(None, 1024),
    replacePrefixMatch=string(None, 1024),
)
FILTER = obj(
    ("type",),
    type=string(
        enum=(
            "RequestHeaderModifier",
            "ResponseHeaderModifier",
            "RequestMirror",
            "RequestRedirect",
            "URLRewrite",
            "ExtensionRef",
            "CORS",
        )
    ),
    requestHeaderModifier=HEADER_MODIFIER,
    responseHeaderModifier=HEADER_MODIFIER,
    requestRedirect=obj(
        scheme=string(enum=("http", "https")),
        hostname=string(DNS_SUBDOMAIN, 253, 1),
        path=PATH_MODIFIER,
        port=PORT,
        statusCode=integer(enum=(301, 302, 303, 307, 308)),
    ),
    urlRewrite=obj(hostname=string(DNS_SUBDOMAIN, 253, 1), path=PATH_MODIFIER),
    requestMirror=FREE,
    extensionRef=LOCAL_REF,
    cors=FREE,
)
MATCH = obj(
    path=obj(type=string(enum=("Exact", "PathPrefix", "RegularExpression")), value=string(None, 1024)),
    headers=arr(
        obj(
            ("name", "value"),
            type=string(enum=("Exact", "RegularExpression")),
            name=string(HEADER_NAME, 256, 1),
            value=string(None, 4096, 1),
        ),
        16,
    ),
    queryParams=arr(
        obj(
            ("name", "value"),
            type=string(enum=("Exact", "RegularExpression")),
            name=string(HEADER_NAME, 256, 1),
            value=string(None, 1024, 1),
        ),
        16,
    ),
    method=string(enum=METHODS),
)
ALLOWED_ROUTES = obj(
    namespaces=obj(from_=string(enum=("All", "Selector", "Same")), selector=LABEL_SELECTOR),
    kinds=arr(obj(("kind",), group=REF_GROUP, kind=REF_KIND), 8),
)
LISTENER = obj(
    ("name", "port", "protocol"),
    name=SECTION_NAME,
    hostname=string(HOSTNAME, 253, 1),
    port=PORT,
    protocol=string(PROTOCOL, 255, 1),
    tls=obj(mode=string(enum=("Terminate", "Passthrough")), certificateRefs=arr(SECRET_REF, 64), options=FREE),
    allowedRoutes=ALLOWED_ROUTES,
)

SPECS: dict[str, Schema] = {
    "GatewayClass": obj(
        ("controllerName",),
        controllerName=string(CONTROLLER, 253, 1),
        description=string(None, 64),
        parametersRef=obj(
            ("group", "kind", "name"), group=REF_GROUP, kind=REF_KIND, name=NAME, namespace=REF_NAMESPACE
        ),
    ),
    "Gateway": obj(
        ("gatewayClassName", "listeners"),
        gatewayClassName=NAME,
        listeners=arr(LISTENER, 64, 1),
        addresses=arr(obj(type=string(ADDRESS_TYPE, 253, 1), value=string(None, 253)), 16),
        infrastructure=obj(parametersRef=LOCAL_REF, labels=free_map(), annotations=free_map()),
        allowedListeners=FREE,
        tls=FREE,
    ),
    "HTTPRoute": obj(
        parentRefs=arr(
            obj(
                ("name",),
                group=REF_GROUP,
                kind=REF_KIND,
                namespace=REF_NAMESPACE,
                name=NAME,
                sectionName=SECTION_NAME,
                port=PORT,
            ),
            32,
        ),
        hostnames=arr(string(HOSTNAME, 253, 1), 16),
        rules=arr(
            obj(
                name=SECTION_NAME,
                matches=arr(MATCH, 64),
                filters=arr(FILTER, 16),
                backendRefs=arr(
                    obj(("name",), **BACKEND_REF_FIELDS, weight=integer(0, 1000000), filters=arr(FILTER, 16)), 16
                ),
                timeouts=FREE,
                retry=FREE,
                sessionPersistence=FREE,
            ),
            16,
            1,
        ),
    ),
    "ReferenceGrant": obj(
        ("from", "to"),
        from_=arr(obj(("group", "kind", "namespace"), group=REF_GROUP, kind=REF_KIND, namespace=REF_NAMESPACE), 16, 1),
        to=arr(obj(("group", "kind"), group=REF_GROUP, kind=REF_KIND, name=NAME), 16, 1),
    ),
}
REQUIRES_SPEC = ("GatewayClass", "Gateway", "ReferenceGrant")


def gateway_schema(kind: str, api_version: str) -> Schema:
    """Return the JSON schema of one Gateway API kind's object, metadata from the Kubernetes schemas."""
    schema: Schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://kubernetes.io/api/gateway-{kind.lower()}.json",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"type": "string", "enum": [api_version]},
            "kind": {"type": "string"},
            "metadata": OBJECT_META,
            "spec": SPECS[kind],
            "status": FREE,
        },
    }
    if kind in REQUIRES_SPEC:
        schema["required"] = ["spec"]
    return schema
