"""Turning tracing on at a service's start, when the environment names an OTLP endpoint.

The exporter reads the standard variables itself (`OTEL_EXPORTER_OTLP_ENDPOINT`, `..._HEADERS`,
`..._TIMEOUT`; the batch processor `OTEL_BSP_SCHEDULE_DELAY`...). The SDK is imported only then: a service
that does not trace loads none of it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ess_core.tracing.spans import SWITCH

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_shutdown: list[Callable[[], None]] = []


def wanted(env: Mapping[str, str]) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(env.get(name) for name in ENDPOINTS)


def configure(service: str, pilot: str, instance: str, env: Mapping[str, str] | None = None) -> bool:
    """Install a tracer provider exporting over OTLP/HTTP, named `ess-<service>` with the pilot, when the
    environment asks for it; returns whether tracing is on."""
    env = os.environ if env is None else env
    if not wanted(env):
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {
            "service.name": f"ess-{service}",
            "service.namespace": "ess",
            "service.instance.id": instance,
            "ess.pilot": pilot,
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _shutdown.append(provider.shutdown)
    SWITCH.turn_on(provider)
    return True


def shutdown() -> None:
    """Export what is left before the process ends (the SDK's own exit hook does it too, later)."""
    while _shutdown:
        _shutdown.pop()()
    SWITCH.turn_off()
