"""Moved to chargeplane.rpc.errors. This re-export only keeps services/transactions (owned
by the parallel i9-protocol branch) importing until the merge; delete it then."""

from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors

__all__ = ["InvalidArgument", "NotFound", "translate_errors"]
