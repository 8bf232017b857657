"""Assignment files: schema, loading with file:line errors, and the editors' JSON Schema."""

from grader.spec.loader import load_assignment, parse_assignment
from grader.spec.schema import Assignment, FaultySpec, LimitsSpec, TestSpec

__all__ = ["Assignment", "FaultySpec", "LimitsSpec", "TestSpec", "load_assignment", "parse_assignment"]
