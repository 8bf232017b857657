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
    "Blocked",
    "Channel",
    "Exec",
    "Execution",
    "Flow",
    "IpcObject",
    "OutputLine",
    "Signal",
    "Task",
    "Transfer",
    "bench_parse",
    "describe",
    "output_lines",
    "parse_trace",
]
