"""Trace analysis: pure functions over a `TraceGraph`, plus the loader that builds one."""

from reqtrace.trace.graph import Edge, Node, TraceGraph
from reqtrace.trace.rules import TraceReport, check, impact, trace_matrix

__all__ = ["Edge", "Node", "TraceGraph", "TraceReport", "check", "impact", "trace_matrix"]
