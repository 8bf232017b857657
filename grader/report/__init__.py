"""Renderers and exporters of a graded Result: HTML feedback page, Gradescope results.json, JUnit XML."""

from grader.report.gradescope import run_gradescope, to_gradescope
from grader.report.html import render_html, write_html
from grader.report.junit import to_junit_xml

__all__ = ["render_html", "run_gradescope", "to_gradescope", "to_junit_xml", "write_html"]
