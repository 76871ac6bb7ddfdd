"""One flat event log: every journey event of a replication as one record type.

Like Ciw's data records, each event is one flat row - ``(time_days, person, kind, service,
payer, value, detail)`` - so results go straight into a DataFrame and every KPI that counts
events is a filter over it (see :mod:`sim.kpis`). ``kind`` names what happened; the meaning
of ``value`` and ``detail`` for each kind is listed in :data:`KINDS`. Events of the place as a
whole (a bed closure, a reinvestment) use person ``-1``.

State changes are recorded only when a full per-person log is asked for (``--event-log``):
they are the bulk of the events and no KPI needs them.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

from .records import CodedText, records_frame

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("time_days", "person", "kind", "service", "payer", "value", "detail")

#: Every event kind: what ``service``, ``payer``, ``value`` and ``detail`` hold.
KINDS = {
    "admission": "service 'acute'; payer of the bed; value = wait for a bed (ED boarding), "
                 "days; detail 'readmission' within the readmission window",
    "bed_stay": "an acute bed left (discharge or death); value = days in the bed",
    "discharge": "service = destination; payer of the package or place it leads to ('' if "
                 "none); value = days from medically fit to leaving; detail = pathway 0-3",
    "death": "service = state at death; value 1 for an excess death from delay harm (left out "
             "of the yearly mortality review), 2 for a death in a last phase of life (counted "
             "as the community death clock's), else 0; detail = age band",
    "end_of_life": "service 'recognised' (a last phase of life begins; value = its length, "
                   "days; detail 'fast_track' with fast-track CHC at home, 'care_home' for "
                   "a care-home resident's phase, 'care_home_fast_track' for one on fast-track "
                   "CHC, else '') or "
                   "'crisis_at_home' (the end-of-life team handled a crisis at home)",
    "delay_harm": "service 'frailty' (left hospital a level frailer; value = delayed days) or "
                  "'death' (an excess death from delay, just before its death record)",
    "care_home_admission": "permanent placement; detail = source (hospital, ic, community)",
    "care_home_decision": "a would-be care-home placement from an acute bed decided after an "
                          "intermediate-care stay: detail 'diverted' (service "
                          "'intermediate_care', at the discharge process) or 'assessed' "
                          "(service = the decision, 'home_care' or 'care_home', at the stay's "
                          "end)",
    "crisis_avoided": "service = route (urgent_response, step_up_bed, virtual_ward (at the "
                      "end of a stay not escalated), frailty_unit)",
    "virtual_ward": "a crisis considered for the virtual ward (sim.virtual_ward): service "
                    "'unsuitable' (the suitable draw failed), 'full' (suitable, no place free), "
                    "'admitted' (a stay starts; value = days it lasts, to the escalation if "
                    "escalated), then at its end "
                    "'home' (treated at home), 'escalated' (admitted to hospital; value = days "
                    "on the ward) or 'left' (died or left home for another reason first)",
    "frailty_assessment": "the front-door frailty team assessed a person in crisis; service "
                          "'home' (sent home the same day) or 'admitted'",
    "pathway_escalation": "a delayed patient deconditioned; value = new pathway",
    "chc_dispute": "value = days to resolve; detail 'eligible' or 'not_eligible'",
    "chc_review": "a yearly review of a person on standard CHC (sim.chc); detail 'eligible' "
                  "(still on CHC) or 'not_eligible' (fees back to the LA, pool or person)",
    "rationed": "a funding decision held back by rationing; service, payer; detail 'waiting' "
                "(for funds) or 'refused' (below the eligibility threshold)",
    "referral_to_care": "care started after a referral at home; service; value = days waited; "
                        "detail 'handback' when re-brokering a handed-back package",
    "gave_up_waiting": "a person waiting at home for a home-care package stopped waiting "
                       "(home_care.community_patience_days); value = days waited",
    "handback": "a provider short of carers handed a package back; service 'home_care'; payer "
                "of the package; value = hours a week; detail 'at_home' or 'in_hospital'",
    "beds_closed": "person -1; value = acute beds closed at a review",
    "beds_opened": "person -1; value = acute beds opened by the plan's yearly growth "
                   "(acute.beds_growth_per_year)",
    "reinvestment": "person -1; service = target; payer = budget; value = gbp a year",
    "statutory_risk": "person -1; payer = fund; value = shortfall gbp on that day",
    "at_home_91d": "at the time of a discharge from hospital into reablement (people 65+): "
                   "service = the state 91 days later; value 1 if at home then, else 0",
    "resident_admission": "a care-home resident went to hospital in a crisis; service = "
                          "residential or nursing",
    "state": "only with a full log: service = the new state",
}


class EventLog:
    """Append-only flat event records of one replication, kept by column.

    Times and values are doubles and persons 64-bit ints in ``array`` columns; each text
    field is a 2-byte code into its own list of names. A row costs ~32 bytes where a tuple of
    seven fields cost ~104 (a default 5-year run logs ~400,000 events). ``value`` is always
    a float.
    """

    TEXT = ("kind", "service", "payer", "detail")

    def __init__(self, states: bool = False):
        self.states = states   # also record every state change (large)
        self._time, self._person, self._value = array("d"), array("q"), array("d")
        self._kind, self._service = CodedText(), CodedText()
        self._payer, self._detail = CodedText(), CodedText()

    def record(self, t: float, person: int, kind: str, service: str = "", payer: str = "",
               value: float = 0.0, detail: str = "") -> None:
        """Append one event."""
        self._time.append(t)
        self._person.append(person)
        self._value.append(value)
        self._kind.append(kind)
        self._service.append(service)
        self._payer.append(payer)
        self._detail.append(detail)

    def __len__(self) -> int:
        return len(self._time)

    def _row(self, j: int) -> tuple:
        return (self._time[j], self._person[j], self._kind[j], self._service[j],
                self._payer[j], self._value[j], self._detail[j])

    @property
    def records(self) -> list[tuple]:
        """Every event as a ``(time_days, person, kind, service, payer, value, detail)`` tuple,
        in the order recorded (for tests and inspection; :meth:`frame` is faster)."""
        return [self._row(j) for j in range(len(self))]

    def of(self, kind: str) -> list[tuple]:
        """The records of one kind, in time order."""
        code = self._kind.code(kind)
        return [self._row(j) for j, c in enumerate(self._kind.codes) if c == code]

    def frame(self) -> pd.DataFrame:
        """The log as a tidy DataFrame (one row per event)."""
        import numpy as np
        import pandas as pd

        if not len(self):
            return records_frame([], COLUMNS)
        data = {"time_days": np.array(self._time), "person": np.array(self._person),
                "value": np.array(self._value)}
        for name in self.TEXT:
            data[name] = getattr(self, f"_{name}").frame_column()
        return pd.DataFrame({name: data[name] for name in COLUMNS}, copy=False)
