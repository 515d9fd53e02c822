"""Deployment per pilot: container images, and the NATS cluster and compose files generated from one
settings file of public keys (see deploy/README.md)."""
