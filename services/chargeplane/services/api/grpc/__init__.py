"""The operator API over gRPC (chargeplane.api.v1.OperatorService)."""

from .operator_service import SERVICE_NAME, OperatorServicer, add_to_server

__all__ = ["SERVICE_NAME", "OperatorServicer", "add_to_server"]
