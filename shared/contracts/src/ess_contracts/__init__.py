"""The event contracts: envelope, payload catalogue, subjects, canonical form, signing."""
