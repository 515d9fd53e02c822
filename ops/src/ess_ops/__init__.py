"""What operators run: the `ess` command (`cli/`), deployment generators (`deploy/`), the embedded
nats-server and the stream's provisioning (`runtime/`), the demo topology and its keys (`topology.py`,
`keys.py`). It reaches the services through their HTTP APIs, the stream and processes, never by import."""
