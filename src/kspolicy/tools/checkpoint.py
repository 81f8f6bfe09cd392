"""Signed checkpoints of the audit log: its size, Merkle root, head and time, signed with
Ed25519 by a key that the log's writer does not hold.

This is what transparency logs (Certificate Transparency, sigstore's Rekor) do, and for
the same reason: a hash chain shows an edit, a removal or a reordering *within* the log,
but not a log cut at its end, emptied, or rewritten whole with every hash recomputed.
Whoever can write the log can do all three. A checkpoint signed by someone else (an
auditor, a witness system) fixes the first `size` records: the log verifies against it
only if its first `size` records hash to the signed root, and a later checkpoint carries
a consistency proof (`merkle`) that it extends the previous one.

Ed25519 comes from the `cryptography` package (the `audit` extra): it is imported only
when a checkpoint is made or checked, so that deciding and recording need no more than
the core dependencies.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..diagnostics import KspolicyError
from ..files import os_reason
from . import merkle

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

FORMAT = "kspolicy-checkpoint/1"
# Signed before the checkpoint's own bytes, so that a signature made with the same key
# for another purpose can never pass for a checkpoint's.
_CONTEXT = b"kspolicy audit checkpoint v1\n"
_NEED = "checkpoints need the `cryptography` package: pip install 'kspolicy[audit]'"


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise KspolicyError(_NEED) from None
    return ed25519


def _serialization() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise KspolicyError(_NEED) from None
    return serialization


def key_id(public: bytes) -> str:
    """A short name for a public key (its raw 32 bytes): the start of their sha256."""
    return hashlib.sha256(public).hexdigest()[:16]


# ---- keys ---------------------------------------------------------------------------


def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key to `path` (readable by its owner only) and its
    public key to `path` + ".pub"; returns the key id. Refuses to overwrite a key."""
    serialization = _serialization()
    private = _ed25519().Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_path = path.with_name(path.name + ".pub")
    for target, data, mode in ((path, private_pem, 0o600), (public_path, public_pem, 0o644)):
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            raise KspolicyError(f"{target} exists already: a key is never overwritten") from None
        except OSError as exc:
            raise KspolicyError(f"cannot write {target}: {os_reason(exc)}") from None
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    return key_id(_raw(public))


def _raw(public: Ed25519PublicKey) -> bytes:
    serialization = _serialization()
    raw: bytes = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KspolicyError(f"cannot read the {what} {path}: {os_reason(exc)}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file made by `kspolicy audit keygen`."""
    serialization, ed25519 = _serialization(), _ed25519()
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KspolicyError(
            f"{path} is not an Ed25519 private key in PEM form (make one with"
            " `kspolicy audit keygen --out FILE`)"
        )
    private: Ed25519PrivateKey = key
    return private


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (the `.pub` file `keygen` writes)."""
    serialization, ed25519 = _serialization(), _ed25519()
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise KspolicyError(
            f"{path} is not an Ed25519 public key in PEM form (the .pub file that"
            " `kspolicy audit keygen` wrote)"
        )
    public: Ed25519PublicKey = key
    return public


# ---- checkpoints --------------------------------------------------------------------


@attrs.frozen
class Checkpoint:
    """A signed statement: the log's first `size` records have the Merkle root `root`,
    the last of them has the sha256 `head`, as seen at `time`.

    `previous` is the (size, root) of the checkpoint this one follows, and `proof` the
    consistency proof from it (empty when there is none).
    """

    log: str
    size: int
    root: str
    head: str
    time: str
    public_key: str
    signature: str = ""
    previous: tuple[int, str] | None = None
    proof: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The id of the key that signed it."""
        return key_id(base64.b64decode(self.public_key))

    def body(self) -> dict[str, Any]:
        """Everything the signature covers."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "log": self.log,
            "size": self.size,
            "root": self.root,
            "head": self.head,
            "time": self.time,
            "public_key": self.public_key,
        }
        if self.previous is not None:
            data["previous"] = {"size": self.previous[0], "root": self.previous[1]}
            data["proof"] = list(self.proof)
        return data

    def to_json(self) -> str:
        """The checkpoint file's text."""
        return json.dumps({**self.body(), "signature": self.signature}, indent=2) + "\n"


def _signed_bytes(checkpoint: Checkpoint) -> bytes:
    body = json.dumps(checkpoint.body(), sort_keys=True, separators=(",", ":"))
    return _CONTEXT + body.encode()


def sign(
    key: Ed25519PrivateKey,
    log: str,
    leaves: list[bytes],
    head: str,
    now: dt.datetime,
    previous: Checkpoint | None = None,
) -> Checkpoint:
    """A checkpoint of the log whose records hash to `leaves`, signed with `key`; with
    `previous`, one that also proves it extends that one (KspolicyError if it does not)."""
    public = base64.b64encode(_raw(key.public_key())).decode()
    after: tuple[int, str] | None = None
    proof: tuple[str, ...] = ()
    if previous is not None:
        problem = extends(previous, leaves)
        if problem is not None:
            raise KspolicyError(f"the log does not extend the previous checkpoint: {problem}")
        after = (previous.size, previous.root)
        proof = tuple(h.hex() for h in merkle.consistency_proof(leaves, previous.size))
    unsigned = Checkpoint(
        log=log,
        size=len(leaves),
        root=merkle.root(leaves).hex(),
        head=head,
        time=now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        public_key=public,
        previous=after,
        proof=proof,
    )
    signature = base64.b64encode(key.sign(_signed_bytes(unsigned))).decode()
    return attrs.evolve(unsigned, signature=signature)


def read(path: Path) -> Checkpoint:
    """The checkpoint in a file; KspolicyError, saying what is wrong, if it is none."""
    data = _read(path, "checkpoint")
    try:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        previous = raw.get("previous")
        checkpoint = Checkpoint(
            log=_typed(raw, "log", str),
            size=_typed(raw, "size", int),
            root=_hex(raw, "root"),
            head=_hex(raw, "head"),
            time=_typed(raw, "time", str),
            public_key=_typed(raw, "public_key", str),
            signature=_typed(raw, "signature", str),
            previous=None
            if previous is None
            else (_typed(previous, "size", int), _hex(previous, "root")),
            proof=tuple(_hexes(raw.get("proof", []))),
        )
        base64.b64decode(checkpoint.public_key, validate=True)
        base64.b64decode(checkpoint.signature, validate=True)
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise KspolicyError(
            f"{path} is not a checkpoint made by `kspolicy audit checkpoint`: {exc}"
        ) from None
    if checkpoint.size < 0:
        raise KspolicyError(f"{path} is not a checkpoint: its size is negative")
    return checkpoint


def _typed(raw: Any, key: str, kind: type) -> Any:
    value = raw[key] if isinstance(raw, dict) and key in raw else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"its {key} is missing or not a {kind.__name__}")
    return value


def _hex(raw: Any, key: str) -> str:
    value: str = _typed(raw, key, str)
    if len(value) != 64:
        raise ValueError(f"its {key} is not a sha256 in hex")
    bytes.fromhex(value)
    return value


def _hexes(values: Any) -> list[str]:
    if not isinstance(values, list):
        raise ValueError("its proof is not a list of hashes")
    return [_hex({"proof": v}, "proof") for v in values]


def check_signature(checkpoint: Checkpoint, trusted: Ed25519PublicKey | None) -> str | None:
    """What is wrong with the checkpoint's signature, or None when it verifies: with the
    `trusted` key when given, else with the key the checkpoint names itself."""
    ed25519 = _ed25519()
    try:
        from cryptography.exceptions import InvalidSignature
    except ImportError:
        raise KspolicyError(_NEED) from None
    named = base64.b64decode(checkpoint.public_key)
    if trusted is not None:
        if _raw(trusted) != named:
            return (
                f"it was signed by key {key_id(named)}, not by the trusted key"
                f" {key_id(_raw(trusted))}"
            )
        key = trusted
    else:
        try:
            key = ed25519.Ed25519PublicKey.from_public_bytes(named)
        except ValueError:
            return "its public key is not an Ed25519 key"
    try:
        key.verify(base64.b64decode(checkpoint.signature), _signed_bytes(checkpoint))
    except InvalidSignature:
        return "its signature does not verify: the checkpoint was altered after it was signed"
    return None


def extends(checkpoint: Checkpoint, leaves: list[bytes]) -> str | None:
    """What shows that a log (its records' leaf hashes) does not extend the checkpoint,
    or None when its first `size` records are the ones the checkpoint signed."""
    if len(leaves) < checkpoint.size:
        return (
            f"the checkpoint signed {_records(checkpoint.size)}, the log has"
            f" {_records(len(leaves))}: records were removed from its end, or it was emptied"
        )
    if merkle.root(leaves[: checkpoint.size]).hex() != checkpoint.root:
        return (
            f"its first {_records(checkpoint.size)} are not the ones the checkpoint signed:"
            " records up to it were edited, removed, inserted or rewritten"
        )
    return None


def consistent(old: Checkpoint, new: Checkpoint) -> str | None:
    """What shows that checkpoint `new` does not extend `old`, or None when its
    consistency proof shows it does: no copy of the log needed."""
    if new.size < old.size:
        return f"the newer one signs {_records(new.size)}, fewer than {old.size}"
    if new.previous is None or new.previous != (old.size, old.root):
        if new.size == old.size and new.root == old.root:
            return None
        return "the newer one carries no proof from the older one (make it with --previous)"
    proof = [bytes.fromhex(h) for h in new.proof]
    ok = merkle.verify_consistency(
        old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), proof
    )
    return None if ok else "the consistency proof fails: the log was rewritten in between"


def _records(n: int) -> str:
    return f"{n} record" if n == 1 else f"{n} records"


def write(path: Path, checkpoint: Checkpoint) -> None:
    """Write the checkpoint file whole: to a new file renamed over the old one, so that a
    crash leaves the previous checkpoint or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, checkpoint.to_json().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as exc:
        try:
            temporary.unlink()
        except OSError:
            pass
        raise KspolicyError(f"cannot write the checkpoint {path}: {os_reason(exc)}") from None
