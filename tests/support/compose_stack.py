"""A pilot's committed compose file, run through testcontainers: the same images, commands, environment,
env files and mounts as `docker compose up`, with every stack on one test network (names carry the
pilot, so they do not collide) and each published port moved to a free port on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's `${NAME}` and `${NAME:-default}`."""

    def value(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        if name in variables:
            return variables[name]
        if default is None:
            raise KeyError(f"{name} is not set and has no default")
        return default

    return _VARIABLE.sub(value, text)


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and line[0] != "#")
    return {key.strip(): value.strip() for key, value in pairs}


def container_port(mapping: str) -> int:
    """`127.0.0.1:8101:8080` or `4222:4222` → the container's port."""
    return int(mapping.split(":")[-1].split("/")[0])


def service_container(
    name: str,
    spec: dict[str, Any],
    folder: Path,
    network: Network,
    variables: Mapping[str, str],
    extra_env: Mapping[str, str],
) -> DockerContainer:
    container = DockerContainer(interpolate(spec["image"], variables))
    container.with_name(f"{name}-{network.name}")
    container.with_network(network).with_network_aliases(name)
    if "command" in spec:
        container.with_command(spec["command"])
    environment: dict[str, str] = {}
    for env_file in spec.get("env_file", []):
        environment |= read_env_file(folder / env_file)
    environment |= {key: str(value) for key, value in spec.get("environment", {}).items()}
    for key, value in (environment | dict(extra_env)).items():
        container.with_env(key, value)
    for volume in spec.get("volumes", []):
        source, target, *mode = volume.split(":")
        if source.startswith("."):  # a bind mount; named volumes stay in the container (kept on stop)
            container.with_volume_mapping(str((folder / source).resolve()), target, mode[0] if mode else "rw")
    for mapping in spec.get("ports", []):
        container.ports[f"{container_port(mapping)}/tcp"] = ("127.0.0.1",)  # type: ignore[assignment]
    return container


def stack_containers(
    folder: Path,
    network: Network,
    variables: Mapping[str, str],
    extra_env: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, DockerContainer]:
    """One container per service of `folder/compose.yaml`, not yet started, by service name."""
    spec = yaml.safe_load((folder / "compose.yaml").read_text())
    extra = extra_env or {}
    return {
        name: service_container(name, service, folder, network, variables, extra.get(name, {}))
        for name, service in spec["services"].items()
    }
