"""The connection registry in Redis: which gateway pod holds which charger's socket.

Keys (soft state: gateways rebuild it from their live sockets after a Redis loss):
  cp:{id}        HASH gw, addr, epoch, proto, since   -- TTL refreshed by the owning pod
  cp:{id}:epoch  STRING counter                        -- increments on every new connection
Channel:
  gw:evict:{pod} "{epoch} {id}"                        -- tells a pod its socket was superseded

The epoch is a fencing token: a pod only refreshes, releases or serves a charger while
the registry still carries the epoch of its own connection.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import Redis

_CLAIM = """
local epoch = redis.call('INCR', KEYS[2])
local prev = redis.call('HMGET', KEYS[1], 'gw', 'epoch')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'gw', ARGV[1], 'addr', ARGV[2], 'epoch', epoch, 'proto', ARGV[3], 'since', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {epoch, prev[1], prev[2]}
"""

# 1: refreshed; 2: re-registered after the key was lost (Redis restart/flush, late refresh);
# 0: another connection owns the charger now -- the caller's socket is stale.
_REFRESH = """
local cur = redis.call('HGET', KEYS[1], 'epoch')
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return 0 end
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
if counter > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'gw', ARGV[3], 'addr', ARGV[4], 'epoch', ARGV[1], 'proto', ARGV[5], 'since', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 2
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], 'epoch') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


def owner_key(cp_id: str) -> str:
    return f"cp:{{{cp_id}}}"


def epoch_key(cp_id: str) -> str:
    return f"cp:{{{cp_id}}}:epoch"


def evict_channel(pod: str) -> str:
    return f"gw:evict:{pod}"


@dataclass(frozen=True, slots=True)
class Owner:
    gateway: str
    address: str
    epoch: int
    protocol: str
    connected_since: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    epoch: int
    previous_gateway: str | None
    previous_epoch: int | None


@dataclass(frozen=True, slots=True)
class Lease:
    """What a gateway holds for one live connection."""

    cp_id: str
    epoch: int
    protocol: str
    since: float


def _owner(raw: dict[bytes, bytes]) -> Owner | None:
    if not raw or b"epoch" not in raw:
        return None
    return Owner(
        gateway=raw.get(b"gw", b"").decode(),
        address=raw.get(b"addr", b"").decode(),
        epoch=int(raw[b"epoch"]),
        protocol=raw.get(b"proto", b"").decode(),
        connected_since=datetime.fromtimestamp(float(raw.get(b"since", b"0")), UTC),
    )


class PresenceRegistry:
    """Used by gateways (claim/refresh/release) and readers (lookup)."""

    def __init__(self, redis: Redis, *, pod: str = "", address: str = "", ttl: float = 90.0) -> None:
        self.redis = redis
        self.pod = pod
        self.address = address
        self.ttl_ms = int(ttl * 1000)
        self._claim = redis.register_script(_CLAIM)
        self._refresh = redis.register_script(_REFRESH)
        self._release = redis.register_script(_RELEASE)

    async def claim(self, cp_id: str, protocol: str) -> tuple[Lease, Claim]:
        since = time.time()
        epoch, prev_gw, prev_epoch = cast(
            list[Any],
            await self._claim(
                keys=[owner_key(cp_id), epoch_key(cp_id)],
                args=[self.pod, self.address, protocol, repr(since), self.ttl_ms],
            ),
        )
        claim = Claim(
            epoch=int(epoch),
            previous_gateway=prev_gw.decode() if prev_gw else None,
            previous_epoch=int(prev_epoch) if prev_epoch else None,
        )
        if claim.previous_gateway and claim.previous_gateway != self.pod:
            await self.redis.publish(evict_channel(claim.previous_gateway), f"{claim.previous_epoch} {cp_id}")
        return Lease(cp_id, claim.epoch, protocol, since), claim

    async def refresh(self, leases: Sequence[Lease]) -> list[int]:
        """Refresh many leases in one pipeline; returns 1/2/0 per lease (see _REFRESH)."""
        if not leases:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for lease in leases:
                await self._refresh(
                    keys=[owner_key(lease.cp_id), epoch_key(lease.cp_id)],
                    args=[
                        lease.epoch,
                        self.ttl_ms,
                        self.pod,
                        self.address,
                        lease.protocol,
                        repr(lease.since),
                    ],
                    client=pipe,
                )
            return [int(r) for r in await pipe.execute()]

    async def release(self, lease: Lease) -> bool:
        released = await self._release(keys=[owner_key(lease.cp_id)], args=[lease.epoch])
        return bool(released)

    async def lookup(self, cp_id: str) -> Owner | None:
        raw = await self.redis.hgetall(owner_key(cp_id))
        return _owner(cast(dict[bytes, bytes], raw))

    async def lookup_many(self, cp_ids: Iterable[str]) -> dict[str, Owner]:
        ids = list(cp_ids)
        if not ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for cp_id in ids:
                pipe.hgetall(owner_key(cp_id))
            raws = await pipe.execute()
        found = {cp_id: _owner(raw) for cp_id, raw in zip(ids, raws, strict=True)}
        return {cp_id: owner for cp_id, owner in found.items() if owner is not None}
