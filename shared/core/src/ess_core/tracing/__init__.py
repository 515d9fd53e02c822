"""OpenTelemetry traces of a service: a span per HTTP request, outbox record, relay publish and batch fold,
with the W3C trace context carried in the NATS message headers (never in the signed body), so one
submission is one trace from intake's answer to every pilot's views.

Off, and free, unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: no
SDK is loaded, no tracer provider installed, and the hot paths test one flag (`SWITCH.on`) per batch.
`setup.configure` turns it on at a service's start; `spans`, `publishing` and `folding` are what the
messaging code calls. The HTTP spans are FastAPI's own (its native telemetry: a server span per request,
named by route, continuing a caller's `traceparent`, with spans for dependencies, endpoint and
serialization), which act on the global tracer provider `setup` installs and do nothing without one."""
