"""A Merkle tree over the audit log's records, hashed as in RFC 6962/9162.

A signed checkpoint holds the root of the tree over the log's first `size` records. Two
checkpoints are tied together by a consistency proof: about log2(n) hashes showing that
the older tree is a prefix of the newer one, so whoever keeps only the checkpoints (a
witness, a ticket system) can tell that nothing signed earlier was changed or removed,
without a copy of the log. Leaves and nodes are hashed with different prefixes (0x00 and
0x01), so that no record can pass for an inner node.

The algorithms follow RFC 9162 §2.1 (MTH, SUBPROOF and the verification of §2.1.4.2)
closely, so that they can be checked against it line by line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..diagnostics import ArgumentError

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: a record's line, without its newline."""
    return hashlib.sha256(_LEAF + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of the leaf hashes; the hash of nothing for none."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    # Bottom-up, pairing neighbours and carrying an odd last one up: the same tree as
    # MTH's left-heavy split, without recursion.
    while len(level) > 1:
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first `old_size` leaves is a prefix of all of them."""
    if not 0 <= old_size <= len(leaves):
        raise ArgumentError(f"no tree of {old_size} leaves in a tree of {len(leaves)}")
    if old_size in (0, len(leaves)):
        return []
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [root(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows that the tree (old_size, old_root) is a prefix of
    (new_size, new_root): RFC 9162 §2.1.4.2."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof  # every tree extends the empty one
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
