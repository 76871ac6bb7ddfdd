"""Capacity-limited services: beds, places, home-care hours and assessment teams.

Every capacity is a first-come-first-served counting pool (:class:`sim.pools.Capacity`):
intermediate-care beds, reablement places, care-home beds and home-care hours per week, the
last three in one pool or in localities (:mod:`sim.localities`); acute
beds are the same pool split into ward groups (:class:`sim.wards.AcuteBeds`). A
counting design matters: ``simpy.Resource`` releases in O(capacity), too slow for thousands of
care-home beds or home-care hours, and ``simpy.Container`` schedules two events per use.
Assessment teams are ``simpy.Resource`` objects (tens of staff). Care-home beds are a
:class:`CareHomeBeds`: a vacated room is not usable at once, and a home may decline a person
it is offered. Home-care hours follow the carers in post (:mod:`sim.care_market`).
"""

from __future__ import annotations

import simpy

from . import localities
from .pools import Capacity, CareHomeBeds, DailyQuota
from .wards import AcuteBeds

__all__ = ["Capacity", "CareHomeBeds", "Holding", "Services"]


class Holding:
    """Capacity a process holds or is queueing for, so an interruption can give it back.

    Waiting requests are counted in the occupancy as ``waiting:<capacity name>``.
    """

    def __init__(self, env: simpy.Environment, occupancy):
        self.env, self.occupancy = env, occupancy
        self.items: list[list] = []

    def acquire(self, capacity: Capacity, amount: float = 1.0):
        """Queue for ``amount`` units of ``capacity``; returns the request event."""
        req = capacity.request(amount)
        waiting = not req.triggered
        if waiting:
            self.occupancy.add(f"waiting:{capacity.name}", 1, self.env.now)
        item = [capacity, req, amount, waiting]
        self.items.append(item)
        if waiting:
            req.callbacks.append(lambda _e, item=item: self._granted(item))
        return req

    def _granted(self, item):
        if item[3]:
            item[3] = False
            self.occupancy.add(f"waiting:{item[0].name}", -1, self.env.now)

    def release(self, capacity: Capacity) -> None:
        """Give back what is held of ``capacity`` (or withdraw the request)."""
        for item in list(self.items):
            if item[0] is capacity:
                self._drop(item)

    def _drop(self, item):
        capacity, req, amount, waiting = item
        if waiting:
            item[3] = False
            self.occupancy.add(f"waiting:{capacity.name}", -1, self.env.now)
        capacity.cancel(req, amount)
        self.items.remove(item)

    def keep(self, capacity: Capacity) -> list:
        """Hand the held units over to the person (released when their stay ends); returns
        the requests that granted them."""
        kept = [it[1] for it in self.items if it[0] is capacity]
        self.items = [it for it in self.items if it[0] is not capacity]
        return kept

    def release_all(self) -> None:
        """Give back everything (on interruption)."""
        for item in list(self.items):
            self._drop(item)


class Services:
    """All capacity pools of a place."""

    def __init__(self, env: simpy.Environment, cfg, streams=None):
        ch = cfg.care_homes
        self.acute_beds = AcuteBeds(env, "acute_beds", cfg.acute.beds, cfg.acute.wards)
        self.escalation_beds = Capacity(env, "escalation_beds", cfg.acute.escalation_beds)
        self.ic_beds = Capacity(env, "ic_beds", cfg.intermediate_care.beds)
        # community services: one shared pool, or localities (sim.localities)
        self.reablement = localities.build(env, "reablement", cfg.reablement.places,
                                           cfg.reablement.localities)
        self.home_care_hours = localities.build(env, "home_care_hours",
                                                cfg.home_care.capacity_hours_per_week,
                                                cfg.home_care.localities)
        market = (ch.vacancy_turnaround_days, ch.decline_share,
                  streams.generator("care_home_decline") if ch.decline_share > 0 else None)
        if ch.localities > 1:
            self.care_home_beds = localities.CareHomeAreas(
                env, "care_home_beds", ch.beds, ch.localities, ch.out_of_area_after_days,
                *market)
        else:
            self.care_home_beds = CareHomeBeds(env, "care_home_beds", ch.beds, *market)
        self.urgent_response = Capacity(env, "urgent_response",
                                        cfg.avoidance.urgent_response_slots)
        self.frailty_assessments = DailyQuota(cfg.frailty_unit.assessments_per_day)
        self.end_of_life = Capacity(env, "end_of_life", cfg.end_of_life.slots)
        vw = cfg.virtual_ward   # the places open to the model's crises (sim.virtual_ward)
        self.virtual_ward = Capacity(env, "virtual_ward", vw.beds * vw.replaces_admission_share)
        self.on_virtual_ward: set[int] = set()     # people on it now (sim.virtual_ward)
        self.teams = {
            "nhs": simpy.Resource(env, capacity=cfg.assessment.nhs_assessors),
            "la": simpy.Resource(env, capacity=cfg.assessment.la_social_workers),
        }

    def free_now(self, capacity: Capacity, amount: float = 1.0) -> bool:
        """True if ``amount`` units are free and nobody is queueing."""
        return capacity.queue_length == 0 and capacity.units - capacity.in_use >= amount
