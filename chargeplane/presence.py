"""Moved to chargeplane.routing.presence. This re-export only keeps the gateway (owned by
the parallel i9-protocol branch) importing until the merge; delete it then."""

from chargeplane.routing.presence import Lease, Owner, PresenceRegistry, epoch_key, evict_channel, owner_key

__all__ = ["Lease", "Owner", "PresenceRegistry", "epoch_key", "evict_channel", "owner_key"]
