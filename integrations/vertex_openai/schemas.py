"""Tool and response schemas Gemini accepts: JSON Schema made into Vertex's OpenAPI subset.

Vertex reads function parameters and response schemas as its ``Schema`` message, "a select
subset of an OpenAPI 3.0 schema object" (REST reference,
https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Schema): ``type``,
``format``, ``title``, ``description``, ``nullable``, ``default``, ``items``, ``minItems``,
``maxItems``, ``enum`` (strings), ``properties``, ``propertyOrdering``, ``required``,
``minProperties``, ``maxProperties``, ``minLength``, ``maxLength``, ``pattern``, ``example``,
``anyOf``, ``minimum``, ``maximum``, ``additionalProperties``, ``ref`` / ``defs``. What
pydantic and the frameworks emit is JSON Schema: ``$defs`` / ``$ref``, ``anyOf`` with
``{"type": "null"}``, ``uniqueItems``, ``const``, ``title`` on every field. Published 400s
for those (through Vertex's generateContent): ``Invalid JSON payload received. Unknown name
"$defs" at 'tools[0].function_declarations[0].parameters': Cannot find field.``
(BerriAI/litellm#6453), ``... schema specified other fields alongside any_of. When using
any_of, it must be the only field set.`` (BerriAI/litellm#11164), ``... functionDeclaration
parameters schema should be of type OBJECT.`` (BerriAI/litellm#18442).

:func:`gemini_schema` rewrites a schema where the meaning is kept (references inlined,
``anyOf [X, null]`` → ``X`` + ``nullable``, ``const`` → a one-value ``enum``, annotations such
as ``title`` / ``default`` dropped, ``uniqueItems`` noted in the description) and raises
ValueError, naming the place, where it is not (recursion, non-string enums, tuples, keywords
with no equivalent), before anything is sent. Framework-free; the adapters call
:func:`gemini_tools` / :func:`gemini_response_format` for Gemini models only (partner MaaS
models and self-deployed endpoints are not Gemini and read JSON Schema as sent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["gemini_response_format", "gemini_schema", "gemini_tools", "is_gemini_model"]

# Kept as they are (the REST reference's fields that take no sub-schema).
_KEPT = frozenset(
    {
        "type",
        "description",
        "nullable",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "minProperties",
        "maxProperties",
        "propertyOrdering",
        "example",
    }
)
# Annotations: they tell a validator or a reader something, not the model what to produce.
# ``default`` beside ``anyOf`` is refused by Vertex (google-gemini/gemini-cli#1330), ``title``
# is pydantic's noise on every field.
_DROPPED = frozenset(
    {
        "title",
        "default",
        "examples",
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "definitions",
        "readOnly",
        "writeOnly",
        "deprecated",
        "discriminator",
        "contentEncoding",
        "contentMediaType",
    }
)
# Formats the REST reference lists: NUMBER float/double, INTEGER int32/int64, STRING
# enum/date-time. Others (uri, email, uuid...) are hints, dropped.
_FORMATS = {
    "number": {"float", "double"},
    "integer": {"int32", "int64"},
    "string": {"enum", "date-time"},
}
_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})


def is_gemini_model(model: str | None) -> bool:
    """True for Google's Gemini models (``google/gemini-...``), whose schemas Vertex reads
    as its OpenAPI subset."""
    name = (model or "").lower()
    publisher, _, bare = name.rpartition("/")
    return publisher in ("", "google") and bare.startswith("gemini")


def gemini_schema(schema: Mapping[str, Any], *, where: str = "schema") -> dict[str, Any]:
    """A copy of a JSON schema in the subset Gemini accepts (ValueError where none keeps it).

    Args:
        schema: a JSON schema (pydantic's ``model_json_schema()``, a tool's parameters).
        where: the name used in error messages, e.g. ``"tool 'search' parameters"``.
    """
    if not isinstance(schema, Mapping):
        raise ValueError(f"{where}: a schema must be a JSON object, not {type(schema).__name__}")
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            defs.update({f"#/{key}/{name}": value for name, value in found.items()})
    # Every definition is checked, used or not: a framework may have dropped the reference
    # to a recursive model (LlamaIndex keeps only "$defs" of a root "$ref") and the error
    # should still say why.
    for ref, definition in defs.items():
        _convert(definition, f"{where} {ref}", defs, (ref,))
    return _convert(schema, where, defs, ())


def gemini_tools(tools: Sequence[Any]) -> list[Any]:
    """Chat Completions ``tools`` with each function's parameters made Gemini-safe."""
    result: list[Any] = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or "parameters" not in function:
            result.append(tool)
            continue
        name = function.get("name", "?")
        parameters = function["parameters"]
        if parameters is None:
            result.append(tool)
            continue
        where = f"tool {name!r} parameters"
        if (
            isinstance(parameters, Mapping)
            and "type" not in parameters
            and "properties" in (parameters)
        ):
            parameters = {"type": "object", **parameters}
        safe = gemini_schema(parameters, where=where)
        if safe.get("type") != "object":
            # "functionDeclaration parameters schema should be of type OBJECT"
            # (BerriAI/litellm#18442, Vertex's 400).
            raise ValueError(f"{where}: Vertex AI needs an object schema here, not {safe!r}")
        result.append({**tool, "function": {**function, "parameters": safe}})
    return result


def gemini_response_format(response_format: Any) -> Any:
    """A ``response_format`` whose ``json_schema.schema`` is made Gemini-safe (others as is)."""
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return response_format
    spec = response_format.get("json_schema")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
        return response_format
    where = f"response schema {spec.get('name', '?')!r}"
    safe = gemini_schema(spec["schema"], where=where)
    return {**response_format, "json_schema": {**spec, "schema": safe}}


# --------------------------------------------------------------------------------------------


def _convert(
    node: Any, path: str, defs: Mapping[str, Any], stack: tuple[str, ...]
) -> dict[str, Any]:
    if isinstance(node, bool):
        if node:
            return {}  # "true": anything
        raise ValueError(f"{path}: the schema `false` (nothing is valid) has no Gemini form")
    if not isinstance(node, Mapping):
        raise ValueError(f"{path}: a schema must be a JSON object, not {node!r}")
    node = dict(node)
    ref = node.pop("$ref", None)
    if ref is not None:
        if ref not in defs:
            raise ValueError(f"{path}: the reference {ref!r} is not a local $defs entry")
        if ref in stack:
            chain = " -> ".join([*stack, ref])
            raise ValueError(
                f"{path}: the schema is recursive ({chain}); Vertex AI's function and response "
                "schemas cannot express recursion. Bound the depth (e.g. a model per level) or "
                "pass the nested part as a JSON string"
            )
        target = defs[ref]
        if not isinstance(target, Mapping):
            raise ValueError(f"{path}: the reference {ref!r} is not a schema")
        # Keywords beside $ref (a field's description) apply too.
        return _convert({**target, **node}, path, defs, (*stack, ref))
    if "allOf" in node:
        parts = node.pop("allOf")
        if not isinstance(parts, list) or len(parts) != 1:
            raise ValueError(f"{path}: allOf with several schemas has no Gemini form")
        return _convert({**parts[0], **node}, path, defs, stack)
    for union in ("anyOf", "oneOf"):
        if union in node:
            return _union(node, union, path, defs, stack)
    if isinstance(node.get("type"), list):
        return _type_list(node, path, defs, stack)

    out: dict[str, Any] = {}
    nullable = False
    if "const" in node:
        value = node.pop("const")
        if "enum" in node:
            raise ValueError(f"{path}: const together with enum")
        node["enum"] = [value]
    if "enum" in node:
        values = list(node.pop("enum"))
        if None in values:
            nullable = True
            values = [v for v in values if v is not None]
        if not values or not all(isinstance(v, str) for v in values):
            raise ValueError(
                f"{path}: enum {values!r}: Gemini's enums are strings only; use string values "
                "(e.g. a str-valued Enum or Literal['a', 'b'])"
            )
        out["enum"] = values
        node.setdefault("type", "string")
        if node["type"] != "string":
            raise ValueError(f"{path}: string enum values on a {node['type']!r} schema")
    kind = node.get("type")
    if kind is not None and kind not in _JSON_TYPES:
        raise ValueError(f"{path}: unknown type {kind!r}")
    if kind == "null":
        raise ValueError(f"{path}: a schema that is only null has no Gemini form")
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key in _KEPT:
            out[key] = value
        elif key == "format":
            if isinstance(value, str) and value in _FORMATS.get(str(kind), set()):
                out[key] = value
        elif key == "properties":
            if not isinstance(value, Mapping):
                raise ValueError(f"{path}.properties must be an object")
            out[key] = {
                name: _convert(sub, f"{path}.properties.{name}", defs, stack)
                for name, sub in value.items()
            }
        elif key == "required":
            names = set(node.get("properties") or ())
            out[key] = [name for name in value if name in names]
        elif key == "items":
            if isinstance(value, list):
                raise ValueError(f"{path}.items: tuples (item schema lists) have no Gemini form")
            out[key] = _convert(value, f"{path}.items", defs, stack)
        elif key == "additionalProperties":
            if isinstance(value, bool):
                # true is the default; false only forbids keys the model is not asked for.
                continue
            out[key] = _convert(value, f"{path}.additionalProperties", defs, stack)
        elif key == "uniqueItems":
            pass  # Gemini has no uniqueItems: said in the description, below
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{path}.{key}: expected an integer bound, got {value!r}")
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = (
                value + 1 if key == "exclusiveMinimum" else value - 1
            )
        else:
            raise ValueError(
                f"{path}: the JSON Schema keyword {key!r} has no equivalent in Vertex AI's "
                "schemas (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/"
                "v1/Schema)"
            )
    if node.get("uniqueItems") is True:
        text = out.get("description")
        out["description"] = f"{text} (Items are unique.)" if text else "Items are unique."
    if nullable:
        out["nullable"] = True
    if "properties" in out and "type" not in out:
        out["type"] = "object"
    return out


def _is_null(branch: Any) -> bool:
    return isinstance(branch, Mapping) and branch.get("type") == "null" and len(branch) == 1


def _union(
    node: dict[str, Any], union: str, path: str, defs: Mapping[str, Any], stack: tuple[str, ...]
) -> dict[str, Any]:
    branches = node.pop(union)
    if not isinstance(branches, list) or not branches:
        raise ValueError(f"{path}.{union} must be a non-empty list")
    nullable = any(_is_null(b) for b in branches)
    others = [b for b in branches if not _is_null(b)]
    if not others:
        raise ValueError(f"{path}: a union of null alone has no Gemini form")
    siblings = {k: v for k, v in node.items() if k not in _DROPPED}
    if len(others) == 1:
        # Optional[X]: X, nullable (the field's own keywords, e.g. its description, kept).
        merged = _convert({**others[0], **siblings}, path, defs, stack)
        if nullable:
            merged["nullable"] = True
        return merged
    converted = [
        _convert(branch, f"{path}.{union}[{i}]", defs, stack) for i, branch in enumerate(others)
    ]
    if union == "oneOf":
        kinds = [c.get("type") for c in converted]
        if None in kinds or len(set(kinds)) != len(kinds):
            raise ValueError(
                f"{path}: oneOf whose branches may overlap has no Gemini form (Gemini has "
                "anyOf only; branches of distinct types are translated)"
            )
    extra = set(siblings) - {"description"}
    if extra:
        # "When using any_of, it must be the only field set" (BerriAI/litellm#11164).
        raise ValueError(
            f"{path}: {sorted(extra)} beside {union}: Vertex AI takes anyOf only alone"
        )
    for c in converted:
        if "description" in siblings:
            c.setdefault("description", siblings["description"])
        if nullable:
            c["nullable"] = True
    return {"anyOf": converted}


def _type_list(
    node: dict[str, Any], path: str, defs: Mapping[str, Any], stack: tuple[str, ...]
) -> dict[str, Any]:
    kinds = list(node.pop("type"))
    nullable = "null" in kinds
    kinds = [k for k in kinds if k != "null"]
    if len(kinds) == 1:
        out = _convert({**node, "type": kinds[0]}, path, defs, stack)
    else:
        rest = {k: v for k, v in node.items() if k not in _DROPPED and k != "description"}
        if rest:
            raise ValueError(f"{path}: a list of types with other keywords has no Gemini form")
        branches = [{"type": k} for k in kinds]
        if "description" in node:
            branches = [{**b, "description": node["description"]} for b in branches]
        out = _convert({"anyOf": branches}, path, defs, stack)
        if nullable:
            for branch in out["anyOf"]:
                branch["nullable"] = True
        return out
    if nullable:
        out["nullable"] = True
    return out
