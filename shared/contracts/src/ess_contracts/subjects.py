"""Subjects: `ess.<pilot>.<service>.<aggregate>.<id>.<event_type>`. The server enforces who may publish
under `ess.<pilot>.>`, so the pilot read from the subject is the one the broker vouched for."""

from __future__ import annotations

from typing import NamedTuple

STREAM = "ESS"
ROOT = "ess"


class SubjectParts(NamedTuple):
    pilot: str
    service: str
    aggregate: str
    aggregate_id: str
    event_type: str


class BadSubject(ValueError):
    pass


def parse_subject(subject: str) -> SubjectParts:
    tokens = subject.split(".")
    if len(tokens) != 6 or tokens[0] != ROOT:
        raise BadSubject(f"subject {subject!r} is not ess.<pilot>.<service>.<aggregate>.<id>.<type>")
    return SubjectParts(*tokens[1:])


def pilot_prefix(pilot: str) -> str:
    return f"{ROOT}.{pilot}.>"


def project_filter(project_id: str) -> str:
    return f"{ROOT}.*.*.project.{project_id}.*"
