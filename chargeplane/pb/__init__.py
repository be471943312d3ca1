"""Generated gRPC code (see chargeplane.tools.protogen)."""
