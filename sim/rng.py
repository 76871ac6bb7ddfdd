"""Named, seeded random streams, with per-person draws keyed by person id.

Two kinds of randomness:

* ``Streams.generator(name)``: a numpy Generator for vectorised draws (the initial population,
  a yearly entry cohort). Each is spawned from ``SeedSequence(seed, spawn_key=(replication,
  crc32(name)))``, so streams are keyed by name, never by position: adding a stream does not
  shift the others.
* ``Streams.person_uniform(name, person, counter)``: a uniform draw that depends only on
  (seed, replication, stream name, person id, counter). It is a counter-based generator built
  on keyed BLAKE2b (stdlib ``hashlib``). Because a person's k-th length of stay or k-th crisis
  threshold is the same number under every funding arrangement, comparisons between
  arrangements use common random numbers wherever the arrangements do not change the person's
  history.
"""

from __future__ import annotations

import hashlib
import math
import struct
import zlib
from statistics import NormalDist

import numpy as np

_PACK = struct.Struct("<QQ").pack
_TWO53 = 1.0 / 9007199254740992.0
_NORMAL = NormalDist()


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The SeedSequence of one named stream."""
    return np.random.SeedSequence(seed, spawn_key=(replication, zlib.crc32(name.encode())))


class Streams:
    """All randomness of one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        # per stream: a keyed BLAKE2b state to copy (cheaper than re-keying) and the draws
        # made for each person, one byte each (a dict of ints costs ~40 bytes an entry); a
        # person's draws from the 256th on are counted in ``_beyond``
        self._streams: dict[str, tuple] = {}
        self._beyond: dict[tuple[str, int], int] = {}

    def generator(self, name: str) -> np.random.Generator:
        """A fresh numpy Generator for the named stream."""
        return np.random.default_rng(stream_seed(self.seed, self.replication, name))

    def _stream(self, name: str) -> tuple:
        key = stream_seed(self.seed, self.replication, name).generate_state(8).tobytes()
        stream = (hashlib.blake2b(key=key, digest_size=8), bytearray())
        self._streams[name] = stream
        return stream

    def person_uniform(self, name: str, person: int) -> float:
        """Next uniform in (0, 1) of ``name`` for ``person``; counts draws per person."""
        keyed, counts = self._streams.get(name) or self._stream(name)
        if person >= len(counts):
            counts.extend(bytes(person + 1 - len(counts) + 4096))
        k = counts[person]
        if k < 255:
            counts[person] = k + 1
        else:
            k = 255 + self._beyond.get((name, person), 0)
            self._beyond[name, person] = k - 254
        h = keyed.copy()
        h.update(_PACK(person, k))
        return ((int.from_bytes(h.digest(), "little") >> 11) + 0.5) * _TWO53

    def person_exponential(self, name: str, person: int, mean: float = 1.0) -> float:
        """Exponential draw with the given mean."""
        return -mean * math.log(self.person_uniform(name, person))

    def person_normal(self, name: str, person: int) -> float:
        """Standard normal draw by inversion (one uniform per draw)."""
        return _NORMAL.inv_cdf(self.person_uniform(name, person))

    def person_choice(self, name: str, person: int, probabilities) -> int:
        """Index drawn from a probability vector."""
        u = self.person_uniform(name, person)
        acc = 0.0
        for i, p in enumerate(probabilities):
            acc += p
            if u < acc:
                return i
        return len(probabilities) - 1

    def person_bernoulli(self, name: str, person: int, p: float) -> bool:
        """True with probability p."""
        return self.person_uniform(name, person) < p
