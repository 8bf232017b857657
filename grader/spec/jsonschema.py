"""The JSON Schema of the assignment file as written in YAML (checks as one-key mappings), for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.checks import CHECK_TYPES
from grader.spec.schema import Assignment

__all__ = ["SCHEMA_PATH", "assignment_json_schema", "write_json_schema"]

SCHEMA_PATH = Path(__file__).with_name("assignment.schema.json")


def assignment_json_schema() -> dict[str, Any]:
    """The editors' schema: pydantic's, with each check rewritten as `{kind: parameters}`."""
    schema = Assignment.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    variants: list[dict[str, Any]] = []
    for kind, cls in CHECK_TYPES.items():
        params = defs.get(cls.__name__) or cls.model_json_schema(by_alias=True)
        params = dict(params)
        params["properties"] = {k: v for k, v in params.get("properties", {}).items() if k != "kind"}
        params["required"] = [r for r in params.get("required", []) if r != "kind"]
        if not params["required"]:
            del params["required"]
        defs[cls.__name__] = params
        value: dict[str, Any] = {"$ref": f"#/$defs/{cls.__name__}"}
        options: list[dict[str, Any]] = [value]
        if cls.shorthand is not None:
            options.append(params["properties"][cls.shorthand])
        if "required" not in params:
            options.append({"type": ["null", "boolean"]})
        variants.append({
            "type": "object",
            "description": (cls.__doc__ or "").strip(),
            "properties": {kind: options[0] if len(options) == 1 else {"anyOf": options}},
            "required": [kind],
            "additionalProperties": False,
        })
    defs["TestSpec"]["properties"]["checks"]["items"] = {"oneOf": variants}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "grader assignment file"
    return schema


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    """Write the editors' schema (grader/spec/assignment.schema.json by default)."""
    path.write_text(json.dumps(assignment_json_schema(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
