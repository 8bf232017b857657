"""The trace stage: strace's log of one run -> the Execution model, output attribution, a text report."""

from grader.trace.describe import describe
from grader.trace.model import (
    Blocked,
    Channel,
    Exec,
    Execution,
    Flow,
    IpcObject,
    OutputLine,
    Signal,
    Task,
    Transfer,
)
from grader.trace.output import output_lines
from grader.trace.parser import bench_parse, parse_trace

__all__ = [
    "parse_trace",
    "output_lines",
    "describe",
    "bench_parse",
    "Execution",
    "Task",
    "Exec",
    "Channel",
    "Transfer",
    "IpcObject",
    "Flow",
    "Signal",
    "Blocked",
    "OutputLine",
]
