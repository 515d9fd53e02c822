"""Run-time helpers: an embedded nats-server and the provisioning of the ESS stream."""

from ess_ops.nats.natsserver import (
    NatsServer,
    NatsServerError,
    NatsServerMissing,
    PortInUse,
    find_nats_server,
    free_port,
)
from ess_ops.nats.provision import (
    Drift,
    ProvisionError,
    ProvisionReport,
    default_stream_config_path,
    load_stream_config,
    provision,
)

__all__ = [
    "Drift",
    "NatsServer",
    "NatsServerError",
    "NatsServerMissing",
    "PortInUse",
    "ProvisionError",
    "ProvisionReport",
    "default_stream_config_path",
    "find_nats_server",
    "free_port",
    "load_stream_config",
    "provision",
]
