"""Who may do what on the broker: each pilot's NATS user key (public part only in the shared settings,
with its history), the nats-server permissions written from them, and the client options that go with
them (the pilot's inbox prefix)."""
