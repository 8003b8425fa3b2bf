"""The service graph of a set of traces, built from their segments as X-Ray builds it: a node
per service (name and type: a segment's origin), a client node in front of each trace's entry,
inferred nodes for the AWS services and remote hosts a subsegment calls, edges between caller
and callee with response time histograms and error/fault statistics. The same walk gives
the filter language its views of nodes and edges."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from overcast.services.xray import segments as seg
from overcast.services.xray.filters import View

Key = tuple[str, str]
CLIENT: Key = ("", "client")


@dataclass
class Call:
    """One request along an edge, or handled by a node: its duration and outcome."""

    start: float
    end: float
    fault: bool = False
    error: bool = False
    throttle: bool = False

    @property
    def duration(self) -> float:
        return max(self.end - self.start, 0.0)


@dataclass
class Node:
    key: Key
    inferred: bool = False
    calls: list[Call] = field(default_factory=list)
    edges: dict[Key, list[Call]] = field(default_factory=lambda: defaultdict(list))
    root: bool = False


def _outcome(doc: Mapping[str, Any]) -> Call:
    start = float(doc["start_time"])
    end = doc.get("end_time")
    return Call(
        start,
        float(end) if isinstance(end, int | float) else start,
        fault=doc.get("fault") is True,
        error=doc.get("error") is True,
        throttle=doc.get("throttle") is True,
    )


def node_key(doc: Mapping[str, Any]) -> Key:
    return str(doc.get("name", "")), seg.service_type(doc) or ""


def _inferred(sub: Mapping[str, Any]) -> Key | None:
    return seg.remote_type(sub)


class Graph:
    """Nodes and edges of the traces added to it."""

    def __init__(self) -> None:
        self.nodes: dict[Key, Node] = {}
        self.annotations: dict[Key, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))

    def node(self, key: Key, inferred: bool = False) -> Node:
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = Node(key, inferred)
        return node

    def add_trace(self, documents: Iterable[Mapping[str, Any]]) -> None:
        docs = list(documents)
        owner: dict[str, Key] = {}
        # Segments first: they name the nodes their subsegments (sent inline or on their own) belong to.
        segments = [d for d in docs if d.get("type") != "subsegment"]
        for doc in segments:
            for part in seg.walk(doc):
                owner[part["id"]] = node_key(doc)
        loose = [d for d in docs if d.get("type") == "subsegment"]
        for _ in range(len(loose)):  # a subsegment may hang under another loose one
            for doc in loose:
                parent = owner.get(str(doc.get("parent_id")))
                if parent is not None:
                    for part in seg.walk(doc):
                        owner.setdefault(part["id"], parent)
        for doc in segments:
            key = node_key(doc)
            node = self.node(key)
            call = _outcome(doc)
            node.calls.append(call)
            for name, value in (doc.get("annotations") or {}).items():
                self.annotations[key][name].append(value)
            caller = owner.get(str(doc.get("parent_id"))) if doc.get("parent_id") else CLIENT
            if caller is None:
                continue
            if caller == CLIENT:
                self.node(CLIENT, inferred=True).root = True
            self.node(caller, inferred=caller == CLIENT).edges[key].append(call)
        children = {str(d.get("parent_id")) for d in segments}
        for doc in docs:
            holder = owner.get(doc["id"])
            if holder is None:
                continue
            for part in seg.walk(doc):
                target = _inferred(part)
                # A call whose callee sent its own segment is that segment's edge already.
                if target is None or part["id"] in children:
                    continue
                call = _outcome(part)
                self.node(target, inferred=True).calls.append(call)
                self.node(holder).edges[target].append(call)

    # -- the filter language's views ------------------------------------------------------------

    def views(self) -> tuple[dict[Key, View], dict[tuple[Key, Key], View]]:
        nodes = {
            key: _view(key, node.calls, self.annotations.get(key, {})) for key, node in self.nodes.items()
        }
        edges = {
            (key, target): _view(target, calls, {})
            for key, node in self.nodes.items()
            for target, calls in node.edges.items()
        }
        return nodes, edges

    # -- the wire shape -------------------------------------------------------------------------

    def services(self, account: str) -> list[dict[str, Any]]:
        refs = {key: index for index, key in enumerate(self.nodes)}
        out = []
        for key, node in self.nodes.items():
            name, kind = key
            service: dict[str, Any] = {
                "ReferenceId": refs[key],
                "Names": [name] if name else [],
                "Root": node.root,
                "State": "unknown" if node.inferred else "active",
                "Edges": [_edge(refs[target], calls) for target, calls in node.edges.items()],
            }
            if name:
                service["Name"] = name
            if kind:
                service["Type"] = kind
            if not node.inferred:
                service["AccountId"] = account
            if node.calls:
                service["StartTime"] = min(c.start for c in node.calls)
                service["EndTime"] = max(c.end for c in node.calls)
                service["SummaryStatistics"] = statistics(node.calls)
                service["DurationHistogram"] = histogram(node.calls)
                service["ResponseTimeHistogram"] = histogram(node.calls)
            else:
                service["DurationHistogram"] = []
                service["ResponseTimeHistogram"] = []
            out.append(service)
        return out


def _view(key: Key, calls: list[Call], annotations: Mapping[str, list[Any]]) -> View:
    longest = max((c.duration for c in calls), default=0.0)
    return View(
        responsetime=longest,
        duration=longest,
        flags={
            "fault": any(c.fault for c in calls),
            "error": any(c.error for c in calls),
            "throttle": any(c.throttle for c in calls),
        },
        annotations=annotations,
        name=key[0],
        type=key[1],
    )


def statistics(calls: list[Call]) -> dict[str, Any]:
    throttles = sum(c.throttle for c in calls)
    errors = sum(c.error for c in calls)
    faults = sum(c.fault for c in calls)
    return {
        "OkCount": sum(not (c.fault or c.error or c.throttle) for c in calls),
        "ErrorStatistics": {
            "ThrottleCount": throttles,
            "OtherCount": errors - throttles,
            "TotalCount": errors,
        },
        "FaultStatistics": {"OtherCount": faults, "TotalCount": faults},
        "TotalCount": len(calls),
        "TotalResponseTime": round(sum(c.duration for c in calls), 6),
    }


def histogram(calls: list[Call]) -> list[dict[str, Any]]:
    counts: dict[float, int] = defaultdict(int)
    for call in calls:
        counts[round(call.duration, 3)] += 1
    return [{"Value": value, "Count": count} for value, count in sorted(counts.items())]


def _edge(reference: int, calls: list[Call]) -> dict[str, Any]:
    return {
        "ReferenceId": reference,
        "StartTime": min(c.start for c in calls),
        "EndTime": max(c.end for c in calls),
        "SummaryStatistics": statistics(calls),
        "ResponseTimeHistogram": histogram(calls),
        "Aliases": [],
    }


def trace_view(summary: Mapping[str, Any], documents: Sequence[Mapping[str, Any]]) -> View:
    """What a filter sees of one trace: its summary's fields, its nodes and its edges."""
    graph = Graph()
    graph.add_trace(documents)
    nodes, edges = graph.views()
    http = summary.get("Http") or {}
    annotations: dict[str, list[Any]] = defaultdict(list)
    for doc in documents:
        for part in seg.walk(doc):
            for name, value in (part.get("annotations") or {}).items():
                annotations[name].append(float(value) if seg._number(value) else value)
    return View(
        responsetime=float(summary["ResponseTime"]),
        duration=float(summary["Duration"]),
        http={
            "status": float(http["HttpStatus"]) if "HttpStatus" in http else None,
            "url": http.get("HttpURL"),
            "method": http.get("HttpMethod"),
            "useragent": http.get("UserAgent"),
            "clientip": http.get("ClientIp"),
        },
        flags={
            "fault": summary["HasFault"],
            "error": summary["HasError"],
            "throttle": summary["HasThrottle"],
            "partial": summary["IsPartial"],
        },
        annotations=annotations,
        users=[user["UserName"] for user in summary.get("Users", ())],
        services=nodes,
        edges=edges,
    )
