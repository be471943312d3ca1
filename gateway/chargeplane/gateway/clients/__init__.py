"""The ports' implementations: gRPC clients of the services and the Redis meter stream."""
