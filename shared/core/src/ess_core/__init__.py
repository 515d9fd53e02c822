"""The core every service runs on: the outbox and its relay (`messaging/outbox.py`, `relay.py`), the
projection runner and the view idiom (`messaging/projection.py`, `views.py`), the service harness
(`service/`: settings, HTTP app, runtime, metrics, logs, migrations), HTTP access control (`auth/`) and
broker identities (`security/`). It imports the contracts, and no service."""
