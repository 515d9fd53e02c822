"""Signed outbound webhooks: partners' systems (accounting, grant tools) told of the events they chose.

A pilot configures them per service (`ESS_<SERVICE>_WEBHOOKS_FILE`: name, URL, event types, secret file).
`WebhookListener` reads the chosen event types from `ESS` with its own durable consumer
(`<pilot>-<service>-webhooks`), verifies each event's signature and records one delivery per webhook in
the service's database (`ess_webhook_delivery`) before acking it; `WebhookDispatcher` posts each delivery,
signed with HMAC-SHA256 over a timestamp and the body (`signature`), and tries again with exponential
backoff and jitter until the receiver answers 2xx, or marks it dead after the webhook's `max_attempts`.
A replay (`POST /webhooks/replay`, `ess webhooks replay --from SEQ|DATE`) starts the consumer again from
that point under a new generation: every chosen event from there is delivered once more."""
