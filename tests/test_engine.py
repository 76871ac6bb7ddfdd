"""The run loop (:class:`sim.engine.Engine`) processes events in exactly SimPy's order.

The engine keeps events and calls due on a later day out of the heap and moves them in day
by day; these tests hold its order, its ``run(until)``, ``step`` and ``peek`` to a plain
``simpy.Environment`` doing the same work with a ``Timeout`` and a callback per call.
"""

from __future__ import annotations

import random

import simpy

from sim.engine import Engine


def _workload(env, trace: list, use_calls: bool, seed: int = 7) -> None:
    """Calls that schedule more calls (the same day, later days, ties on whole days and zero
    delays) beside processes with timeouts; every action appends (time, label) to ``trace``."""
    rng = random.Random(seed)

    def later(delay, label, depth):
        def act(_arg):
            trace.append((env.now, label))
            if depth < 3:
                for k in range(rng.randint(0, 2)):
                    later(rng.choice([0.0, 0.5, 1.0, 3.0, rng.random() * 40]), f"{label}.{k}",
                          depth + 1)
        if use_calls:
            env.call_later(delay, (act,))
        else:
            env.timeout(delay).callbacks.append(act)

    def process(name):
        for step in range(6):
            yield env.timeout(rng.choice([1.0, 2.0, rng.random() * 10]))
            trace.append((env.now, f"{name}:{step}"))
            later(rng.choice([0.0, 2.0, rng.random() * 30]), f"{name}:{step}>", 1)

    for j in range(150):
        later(rng.choice([float(rng.randint(0, 60)), rng.random() * 60]), f"c{j}", 0)
    for j in range(10):
        env.process(process(f"p{j}"))


def _reference(until_steps) -> list:
    env, trace = simpy.Environment(), []
    _workload(env, trace, use_calls=False)
    for until in until_steps:
        env.run(until=until)
    return trace


def test_events_and_calls_run_in_simpys_order_across_day_boundaries():
    steps = [0.5, 1.0, 7.25, 30.0, 30.5, 200.0]
    engine, trace = Engine(), []
    _workload(engine, trace, use_calls=True)
    for until in steps:
        engine.run(until=until)
    expected = _reference(steps)
    assert len(trace) > 500
    assert trace == expected
    assert engine.events_processed >= len(trace)


def test_step_and_peek_see_calls_kept_for_a_later_day():
    engine, trace = Engine(), []
    _workload(engine, trace, use_calls=True)
    while engine.peek() < float("inf"):
        engine.step()
    assert trace == _reference([500.0])


def test_run_until_stops_before_a_call_due_at_that_time():
    engine, fired = Engine(), []
    engine.call_later(5.0, (lambda _c: fired.append(engine.now),))
    engine.call_later(2.5, (lambda _c: fired.append(engine.now),))
    engine.run(until=5.0)
    assert fired == [2.5] and engine.now == 5.0
    assert engine.peek() == 5.0
    engine.run(until=6.0)
    assert fired == [2.5, 5.0]


def test_the_heap_holds_only_the_days_it_has_reached():
    """Calls months ahead wait outside the heap (the reason for the day lists); a day's calls
    enter it when the clock reaches that day."""
    engine, fired = Engine(), []
    rng = random.Random(1)
    for _ in range(5000):
        engine.call_later(rng.random() * 1000, (lambda _c: fired.append(engine.now),))
    engine.run(until=100.0)
    assert len(engine._queue) < 50
    engine.run(until=1001.0)
    assert len(fired) == 5000 and fired == sorted(fired)


def test_a_wait_without_end_never_fires_and_does_not_block_the_rest():
    engine, fired = Engine(), []
    engine.timeout(float("inf")).callbacks.append(lambda _e: fired.append("never"))
    engine.call_later(3.0, (lambda _c: fired.append(engine.now),))
    engine.run(until=10.0)
    assert fired == [3.0]
    assert engine.peek() == float("inf")
