"""Consumers of the platform's change feeds (shared plumbing for the services)."""
