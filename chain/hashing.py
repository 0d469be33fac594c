"""keccak256 in C (safe-pysha3): the hash of Merkle leaves and nodes and of signed readings.

``eth_utils.keccak`` goes through eth-hash's checks and pycryptodome's cffi wrapper: about 6 us a
call on a short input, against about 1 us here. A batch of readings hashes three times per reading
and verifying a reading twice, so it was a fifth of the IoT oracle's CPU. The same function
(Ethereum's Keccak-256, not NIST SHA3-256); a test compares the two on any input.
"""

from __future__ import annotations

from sha3 import keccak_256  # type: ignore[import-untyped]


def keccak256(data: bytes) -> bytes:
    return bytes(keccak_256(data).digest())
