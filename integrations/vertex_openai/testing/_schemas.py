"""The emulator's check of tool and response schemas for Gemini models (private, stdlib).

Vertex reads them as its ``Schema`` message, "a select subset of an OpenAPI 3.0 schema
object" (REST reference, https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Schema,
docs, H): the field names below, nothing else. Rejections, in the words of Vertex's
generateContent 400s (public captures, M; assumed the same through the OpenAI-compatible
route, which is not confirmed: switch ``gemini_schema_check``):

* a keyword outside the subset (``$defs``, ``$ref``, ``const``, ``uniqueItems``...):
  ``Invalid JSON payload received. Unknown name "$defs" at
  'tools[0].function_declarations[0].parameters': Cannot find field.`` (BerriAI/litellm#6453);
* ``anyOf`` beside other fields: ``Unable to submit request because `git_create_branch`
  functionDeclaration `parameters.base_branch` schema specified other fields alongside any_of.
  When using any_of, it must be the only field set. Learn more:
  https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling``
  (BerriAI/litellm#11164);
* parameters that are not an object: ``Unable to submit request because
  `load_mcp_documentation` functionDeclaration parameters schema should be of type OBJECT.
  Learn more: ...`` (BerriAI/litellm#18442);
* a non-string ``enum`` value or a list ``type``: ``Invalid value at '...' (TYPE_STRING), 1``
  (the front end's wording for a wrong JSON type, M, e.g. decolua/9router#1081; guessed path).
"""

from __future__ import annotations

from typing import Any

FIELDS = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "default",
        "items",
        "minItems",
        "maxItems",
        "enum",
        "properties",
        "propertyOrdering",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "minimum",
        "maximum",
        "additionalProperties",
        "ref",
        "defs",
    }
)
_LEARN_MORE = (
    "Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling"
)


def _unknown(key: str, where: str) -> str:
    return f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field."


def _walk(node: Any, where: str, dotted: str, function: str | None) -> str | None:
    if not isinstance(node, dict):
        return f"Invalid value at '{where}' (type.googleapis.com/google.cloud.aiplatform.v1.Schema)"
    for key in node:
        if key not in FIELDS:
            return _unknown(key, where)
    if "anyOf" in node and len(node) > 1:
        subject = f"`{function}` functionDeclaration" if function else "response schema"
        return (
            f"Unable to submit request because {subject} `{dotted}` schema specified other "
            f"fields alongside any_of. When using any_of, it must be the only field set. "
            f"{_LEARN_MORE}"
        )
    kind = node.get("type")
    if kind is not None and not isinstance(kind, str):
        return (
            f"Invalid value at '{where}.type' "
            f"(type.googleapis.com/google.cloud.aiplatform.v1.Type), {kind!r}"
        )
    for n, value in enumerate(node.get("enum") or ()):
        if not isinstance(value, str):
            return f"Invalid value at '{where}.enum[{n}]' (TYPE_STRING), {value!r}"
    for n, (name, sub) in enumerate((node.get("properties") or {}).items()):
        found = _walk(sub, f"{where}.properties[{n}].value", f"{dotted}.{name}", function)
        if found:
            return found
    for n, sub in enumerate(node.get("anyOf") or ()):
        found = _walk(sub, f"{where}.any_of[{n}]", f"{dotted}.anyOf[{n}]", function)
        if found:
            return found
    for key in ("items", "additionalProperties"):
        sub = node.get(key)
        if isinstance(sub, dict):
            found = _walk(sub, f"{where}.{key}", f"{dotted}.{key}", function)
            if found:
                return found
    return None


def check_schemas(body: dict[str, Any]) -> str | None:
    """The 400 message for the first tool or response schema Vertex would refuse, else None."""
    tools = body.get("tools")
    for t, tool in enumerate(tools if isinstance(tools, list) else ()):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or function.get("parameters") is None:
            continue
        name = str(function.get("name"))
        parameters = function["parameters"]
        if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
            return (
                f"Unable to submit request because `{name}` functionDeclaration parameters "
                f"schema should be of type OBJECT. {_LEARN_MORE}"
            )
        found = _walk(
            parameters, f"tools[0].function_declarations[{t}].parameters", "parameters", name
        )
        if found:
            return found
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict):
            return _walk(schema, "generation_config.response_schema", "response_schema", None)
    return None
