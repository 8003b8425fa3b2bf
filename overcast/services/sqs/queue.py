"""One queue's messages in memory, indexed so that every operation costs O(its result).

The store holds every message and its receive state (provider.py writes them); this index
is rebuilt from the store at start and answers "which messages can be received now" without
looking at the others:

* a standard queue keeps its receivable messages in a deque (`ready`);
* a FIFO queue keeps each message group's messages in order and a deque of the groups that
  can hand out their next batch (`available`): the group's first message is receivable (a
  message in flight behind it does not hold the group back, one in flight before it does:
  AWS hands out a group's visible head even while later messages of it are in flight);
* messages that become receivable later (delayed, or in flight until their visibility
  timeout ends) wait in a heap keyed by that time, promoted lazily whenever the queue is
  used.

Deques and the heap may hold stale entries (a message deleted or moved since); they are
skipped when reached, which keeps every change O(1) or O(log n).
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque

from overcast.services.sqs import attributes as attrs

READY, DELAYED, INFLIGHT, GONE = range(4)


class Msg:
    __slots__ = ("first_receive", "group", "id", "receive_count", "sent", "seq", "state", "visible_at")

    def __init__(self, seq: int, message_id: str, group: str | None, sent: float, visible_at: float) -> None:
        self.seq = seq
        self.id = message_id
        self.group = group
        self.state = GONE
        self.visible_at = visible_at
        self.receive_count = 0
        self.sent = sent
        self.first_receive = 0.0


class Group:
    __slots__ = ("id", "inflight", "msgs", "queued")

    def __init__(self, group_id: str | None) -> None:
        self.id = group_id
        self.msgs: deque[Msg] = deque()
        self.inflight = 0
        self.queued = False


class Queue:
    def __init__(self, account: str, region: str, name: str, arn: str, record: dict) -> None:
        self.scope = f"{account}/{region}"
        self.account = account
        self.region = region
        self.name = name
        self.arn = arn
        self.fifo = name.endswith(".fifo")
        self.deleted = False
        self.msgs: dict[int, Msg] = {}
        self.ready: deque[Msg] = deque()
        #: FIFO message groups by id (None: messages moved in from a standard queue carry no group).
        self.groups: dict[str | None, Group] = {}
        self.available: deque[Group] = deque()
        self.timed: list[tuple[float, int, Msg]] = []
        self.n_ready = self.n_delayed = self.n_inflight = 0
        #: Long polls waiting for a message: futures in arrival order (a dict as ordered set).
        self.waiters: dict[asyncio.Future, None] = {}
        #: Deduplication window (FIFO): key → (expires, message id, sequence).
        self.dedup: dict[str, tuple[float, str, int]] = {}
        #: ReceiveRequestAttemptId (FIFO) → (expires, [(msg, receive count)], answer).
        self.attempts: dict[str, tuple[float, list, list]] = {}
        self.apply(record)

    def apply(self, record: dict) -> None:
        """Take a (new) stored record: its attributes, parsed once for the hot paths."""
        self.record = record
        values = record["attributes"]
        self.attributes: dict[str, str] = values
        self.visibility_timeout = attrs.int_value(values, "VisibilityTimeout")
        self.delay = attrs.int_value(values, "DelaySeconds")
        self.max_size = attrs.int_value(values, "MaximumMessageSize")
        self.retention = attrs.int_value(values, "MessageRetentionPeriod")
        self.wait_time = attrs.int_value(values, "ReceiveMessageWaitTimeSeconds")
        self.content_dedup = values.get("ContentBasedDeduplication") == "true"
        scope = record.get("dedup_scope") or values.get("DeduplicationScope")
        self.dedup_per_group = scope == "messageGroup"
        policy = values.get("RedrivePolicy")
        self.redrive = attrs.parse_redrive_policy(policy) if policy else None

    # -- state changes ------------------------------------------------------------------

    def add(self, msg: Msg, now: float, front: bool = False) -> None:
        self.msgs[msg.seq] = msg
        group = None
        if self.fifo:
            group = self.groups.get(msg.group)
            if group is None:
                group = self.groups[msg.group] = Group(msg.group)
            group.msgs.append(msg)
        if msg.receive_count and msg.visible_at > now:
            msg.state = INFLIGHT
            self.n_inflight += 1
            if group is not None:
                group.inflight += 1
            heapq.heappush(self.timed, (msg.visible_at, msg.seq, msg))
        elif msg.visible_at > now:
            msg.state = DELAYED
            self.n_delayed += 1
            heapq.heappush(self.timed, (msg.visible_at, msg.seq, msg))
        else:
            msg.state = READY
            self.n_ready += 1
            if group is None:
                if front:
                    self.ready.appendleft(msg)
                else:
                    self.ready.append(msg)
            else:
                self._check_group(group)

    def _make_ready(self, msg: Msg, back: list[Msg] | None = None, groups: dict | None = None) -> None:
        was = msg.state
        group = self.groups.get(msg.group) if self.fifo else None
        if was == INFLIGHT:
            self.n_inflight -= 1
            if group is not None:
                group.inflight -= 1
        else:
            self.n_delayed -= 1
        msg.state = READY
        self.n_ready += 1
        if group is not None:
            if groups is not None:
                groups[group.id] = group
            else:
                self._check_group(group)
        elif was != INFLIGHT:
            self.ready.append(msg)
        elif back is not None:
            back.append(msg)
        else:
            self.ready.appendleft(msg)

    def promote(self, now: float) -> int:
        """Make receivable what has become so by `now`; how many did. Messages back from
        flight go to the front, in order: they were sent before those queued behind them."""
        heap = self.timed
        promoted = 0
        back: list[Msg] = []
        groups: dict | None = {} if self.fifo else None
        while heap and heap[0][0] <= now:
            when, _, msg = heapq.heappop(heap)
            if msg.visible_at == when and (msg.state == DELAYED or msg.state == INFLIGHT):
                self._make_ready(msg, back, groups)
                promoted += 1
        if back:
            self.ready.extendleft(reversed(back))
        if groups:
            # Groups freed together queue up in the order of their oldest messages, as AWS's do.
            for group in sorted(groups.values(), key=lambda g: g.msgs[0].seq if g.msgs else 0):
                self._check_group(group)
        return promoted

    def take(self, count: int) -> list[Msg]:
        """Up to `count` receivable messages, in order (FIFO: whole group batches)."""
        taken: list[Msg] = []
        if not self.fifo:
            ready = self.ready
            while ready and len(taken) < count:
                msg = ready.popleft()
                if msg.state == READY:
                    taken.append(msg)
            return taken
        available = self.available
        while available and len(taken) < count:
            group = available.popleft()
            group.queued = False
            for msg in group.msgs:
                if msg.state == GONE:
                    continue
                if msg.state != READY:
                    break
                taken.append(msg)
                if len(taken) == count:
                    break
        return taken

    def put_back(self, msgs: list[Msg]) -> None:
        """Return taken messages that were not handed out after all."""
        if not self.fifo:
            self.ready.extendleft(reversed(msgs))
            return
        for msg in msgs:
            group = self.groups.get(msg.group)
            if group is not None:
                self._check_group(group)

    def set_inflight(self, msg: Msg, until: float) -> None:
        if msg.state == READY:
            self.n_ready -= 1
        elif msg.state == DELAYED:
            self.n_delayed -= 1
        else:
            self.n_inflight -= 1
            if self.fifo:
                self.groups[msg.group].inflight -= 1
        msg.state = INFLIGHT
        msg.visible_at = until
        self.n_inflight += 1
        if self.fifo:
            self.groups[msg.group].inflight += 1
        heapq.heappush(self.timed, (until, msg.seq, msg))

    def change_visibility(self, msg: Msg, until: float, now: float) -> None:
        """A received message's new end of visibility timeout (`until` <= now: visible now)."""
        if until <= now:
            msg.visible_at = now
            self._make_ready(msg)
        else:
            msg.visible_at = until
            heapq.heappush(self.timed, (until, msg.seq, msg))
        self._compact_timed()

    def _compact_timed(self) -> None:
        """Drop stale heap entries once they outnumber the live ones: a message deleted while
        in flight leaves its entry until its visibility timeout (up to 12 hours) ends."""
        heap = self.timed
        if len(heap) > 1024 and len(heap) > 2 * (self.n_delayed + self.n_inflight):
            live = [
                entry for entry in heap
                if entry[2].visible_at == entry[0] and (entry[2].state == DELAYED or entry[2].state == INFLIGHT)
            ]  # fmt: skip
            heapq.heapify(live)
            self.timed = live

    def remove(self, msg: Msg) -> None:
        state = msg.state
        if state == GONE:
            return
        if state == READY:
            self.n_ready -= 1
        elif state == DELAYED:
            self.n_delayed -= 1
        else:
            self.n_inflight -= 1
        msg.state = GONE
        del self.msgs[msg.seq]
        if state in (INFLIGHT, DELAYED):
            self._compact_timed()
        if self.fifo:
            group = self.groups.get(msg.group)
            if group is None:
                return
            if state == INFLIGHT:
                group.inflight -= 1
            self._check_group(group)

    def clear(self) -> list[Msg]:
        """Forget every message (purge, delete); returns them."""
        gone = list(self.msgs.values())
        for msg in gone:
            msg.state = GONE
        self.msgs.clear()
        self.ready.clear()
        self.groups.clear()
        self.available.clear()
        self.timed.clear()
        self.n_ready = self.n_delayed = self.n_inflight = 0
        self.attempts.clear()
        return gone

    def _check_group(self, group: Group) -> None:
        msgs = group.msgs
        while msgs and msgs[0].state == GONE:
            msgs.popleft()
        if not msgs:
            if not group.inflight:
                self.groups.pop(group.id, None)
            return
        if not group.queued and msgs[0].state == READY:
            group.queued = True
            self.available.append(group)

    # -- queries ------------------------------------------------------------------------

    def expired(self, now: float) -> list[Msg]:
        """Messages past the retention period (oldest first; stops at the first one kept)."""
        cutoff = now - self.retention
        found = []
        for msg in self.msgs.values():
            if msg.sent > cutoff:
                break
            found.append(msg)
        return found

    def next_change(self) -> float | None:
        return self.timed[0][0] if self.timed else None

    # -- long polling -------------------------------------------------------------------

    def wake(self, count: int = 1) -> None:
        """Wake up to `count` long polls (one per newly receivable message or group)."""
        waiters = self.waiters
        while count > 0 and waiters:
            future = next(iter(waiters))
            del waiters[future]
            if not future.done():
                future.set_result(None)
                count -= 1

    def wake_all(self) -> None:
        self.wake(len(self.waiters))
