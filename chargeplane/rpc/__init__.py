"""Shared gRPC plumbing, one module per concern: `timestamps` (datetime <-> protobuf
Timestamp), `server` (a gRPC server with its grpc.health.v1 service) and `errors`
(exceptions <-> gRPC status codes)."""
