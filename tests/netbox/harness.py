# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start a real NetBox for tests: PostgreSQL, Redis and NetBox (gunicorn), each on a free loopback port (standard library).

    from harness import NetBox                    # or load this file under another name (tests/simulator has a harness too)
    with NetBox.start() as nb:
        nb.url, nb.token                          # http://127.0.0.1:PORT, 'nbt_KEY.SECRET' (v2, write-enabled, superuser)
        nb.api('POST', '/api/ipam/prefixes/', {'prefix': '10.99.0.0/29'}, expect=201)

    python tests/netbox/harness.py --foreground                                    # Ctrl-C stops it
    eval "$(python tests/netbox/harness.py --background --pid-file build/netbox/dev.pid)"
    python tests/netbox/harness.py --stop --pid-file build/netbox/dev.pid
    python tests/netbox/harness.py --prepare                                       # only build the migrated database

What it needs: build/netbox/venv (make netbox-venv: NetBox from PyPI on Python >= 3.12), and Debian's PostgreSQL
(/usr/lib/postgresql/N/bin) and redis-server. It downloads nothing.

The migrated database: NetBox's ~340 migrations take minutes, so they run once per NetBox version, PostgreSQL major
version and CACHE_FORMAT, in a data directory of their own (initdb, migrate, a superuser), which is then shut down
cleanly (checked with pg_controldata), synced and kept in build/netbox/cache/KEY/pgdata (71 MB). Each start copies that
directory (cp -a: 0.1-0.9 s) into its own temporary directory and runs PostgreSQL on the copy; nothing writes to the cache
after it is made, and a build that fails leaves no cache behind (it is renamed into place last, under a lock). The copy and
PostgreSQL and Redis start while gunicorn imports NetBox (~7 s of the ~7.5 s a start takes), on ports chosen beforehand.

As root: PostgreSQL refuses to run as root, so initdb and postgres run as `nobody` (setpriv --reuid/--regid/--clear-groups,
util-linux); its data directory and socket directory belong to nobody, the rest of the run directory to root (mode 0711).
Redis and NetBox run as the caller. GUESTNET_NETBOX_PG_USER=NAME picks another user.

Life cycle: every service runs in its own process group; stop() (also at exit, and from `with`) ends gunicorn, Redis and
PostgreSQL and removes the run directory. If this process dies without stop(), the services get SIGKILL from the kernel
(setpriv --pdeathsig; start() must then be called from a thread that lives as long as the services), and the next start()
removes run directories whose owner is gone: the processes that still run there (checked by their working directory) are
killed first (those of ours only: postgres, redis-server, Python). --background instances are left alone while their
services run.

The token: NetBox 4.7 makes v2 tokens by default (API_TOKEN_PEPPERS must be set, else only v1 tokens work); a client sends
`Authorization: Bearer nbt_<key>.<secret>` (`Token nbt_...` is taken too: the nbt_ prefix marks v2). Each start provisions a
fresh one for the superuser (POST /api/users/tokens/provision/ with its username and password, kept in the cache's
meta.json: loopback only, thrown away with the run).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import argparse
import atexit
import fcntl
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILD = REPO / 'build' / 'netbox'
VENV = Path(os.environ.get('GUESTNET_NETBOX_VENV') or BUILD / 'venv')
CACHE = BUILD / 'cache'
# Bump when what goes into the cached database changes (initdb options, what the build creates).
CACHE_FORMAT = 1
RUN_PREFIX = 'guestnet-netbox-'
DB_NAME = 'netbox'
DB_USER = 'netbox'
ADMIN_USER = 'admin'
OWNER_FILE = 'owner.json'

# Runs in the NetBox venv's Python during the cache build: migrations, then the superuser.
BUILD_SCRIPT = '''
import os, sys, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'netbox.settings')
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command('migrate', interactive=False, verbosity=1)
get_user_model().objects.create_superuser(sys.argv[1], 'admin@example.invalid', sys.argv[2])
print('superuser created', flush=True)
'''

CONFIGURATION = '''# Written by tests/netbox/harness.py for one test run.
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
DATABASES = {{'default': {{
    'NAME': {db_name!r}, 'USER': {db_user!r}, 'PASSWORD': '', 'HOST': '127.0.0.1', 'PORT': {pg_port}, 'CONN_MAX_AGE': 300,
}}}}
REDIS = {{
    'tasks': {{'HOST': '127.0.0.1', 'PORT': {redis_port}, 'DATABASE': 0, 'SSL': False}},
    'caching': {{'HOST': '127.0.0.1', 'PORT': {redis_port}, 'DATABASE': 1, 'SSL': False}},
}}
SECRET_KEY = {secret_key!r}
API_TOKEN_PEPPERS = {{1: {pepper!r}}}
CENSUS_REPORTING_ENABLED = False
ISOLATED_DEPLOYMENT = True
RELEASE_CHECK_URL = None
TIME_ZONE = 'UTC'
'''


class NetBoxError(RuntimeError):
    """NetBox, PostgreSQL or Redis could not be prepared, started or reached, or an API call answered otherwise than expected."""


class PortInUse(NetBoxError):
    """PostgreSQL or Redis found its port taken (by another program, since _free_port() saw it free)."""


# -- what is installed -----------------------------------------------------------------------------------------------

def netbox_version(venv=None):
    """The NetBox version installed in the venv (from its dist-info; no process), or raise NetBoxError."""
    venv = Path(venv or VENV)
    found = sorted(glob.glob(str(venv / 'lib' / 'python3.*' / 'site-packages' / 'netbox-*.dist-info')))
    if not found or not (venv / 'bin' / 'gunicorn').exists():
        raise NetBoxError('no NetBox in %s: run `make netbox-venv` (hack/netbox-venv.sh)' % venv)
    return Path(found[-1]).name[len('netbox-'):-len('.dist-info')]


def pg_bindir():
    """PostgreSQL's server programs: $GUESTNET_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin, else pg_config's."""
    candidates = [os.environ.get('GUESTNET_PG_BINDIR')]
    candidates += sorted(glob.glob('/usr/lib/postgresql/*/bin'), key=lambda p: [int(x) for x in re.findall(r'\d+', p)], reverse=True)
    if shutil.which('pg_config'):
        proc = subprocess.run(['pg_config', '--bindir'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
        candidates.append(proc.stdout.strip())
    for path in candidates:
        if path and os.access(os.path.join(path, 'postgres'), os.X_OK) and os.access(os.path.join(path, 'initdb'), os.X_OK):
            return Path(path)
    raise NetBoxError('PostgreSQL server programs not found (/usr/lib/postgresql/N/bin): apt-get install postgresql '
                      '(make netbox-venv does), or set GUESTNET_PG_BINDIR')


def pg_major(bindir):
    out = subprocess.run([str(bindir / 'postgres'), '--version'], stdout=subprocess.PIPE, text=True, check=True).stdout
    match = re.search(r'(\d+)(?:\.\d+)?', out)
    if not match:
        raise NetBoxError('cannot read the PostgreSQL version from %r' % out)
    return match.group(1)


def redis_server():
    path = os.environ.get('GUESTNET_REDIS_SERVER') or shutil.which('redis-server') or '/usr/bin/redis-server'
    if not os.access(path, os.X_OK):
        raise NetBoxError('redis-server not found: apt-get install redis-server (make netbox-venv does)')
    return path


def pg_user():
    """The user PostgreSQL runs as: None (the caller) unless we are root, where it refuses to run: then `nobody`."""
    name = os.environ.get('GUESTNET_NETBOX_PG_USER') or ('nobody' if os.geteuid() == 0 else '')
    if not name or name == pwd.getpwuid(os.geteuid()).pw_name:
        return None
    return pwd.getpwnam(name)


# -- processes -------------------------------------------------------------------------------------------------------

def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _wrap(cmd, user=None, pdeathsig=True):
    """cmd run through setpriv: as `user` (a pwd entry) and/or with SIGKILL when this thread ends (pdeathsig)."""
    prefix = []
    if user is not None:
        prefix += ['--reuid=%d' % user.pw_uid, '--regid=%d' % user.pw_gid, '--clear-groups']
    if pdeathsig:
        prefix += ['--pdeathsig', 'KILL']
    return (['setpriv'] + prefix + list(cmd)) if prefix else list(cmd)


def _proc_start_ticks(pid):
    """The start time of process pid (clock ticks since boot), or None if there is no such process."""
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8', errors='replace') as stat:
            return int(stat.read().rsplit(')', 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _runs_in(pid, directory):
    """True when process pid is alive and works in `directory` (or below): how a stale run's processes are recognized."""
    try:
        cwd = os.readlink('/proc/%d/cwd' % pid)
    except OSError:
        return False
    return cwd == directory or cwd.startswith(directory.rstrip('/') + '/') or cwd.startswith(directory + ' (deleted)')


def _kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return False


class Service:
    """One started program, leader of its own process group; its output goes to a log file."""

    def __init__(self, name, cmd, log, cwd, env=None, pass_fds=(), user=None, pdeathsig=True):
        self.name, self.log = name, Path(log)
        with open(self.log, 'ab') as out:
            self.process = subprocess.Popen(_wrap(cmd, user, pdeathsig), stdin=subprocess.DEVNULL, stdout=out,  # pylint: disable=consider-using-with
                                            stderr=subprocess.STDOUT, cwd=str(cwd), env=env, pass_fds=pass_fds,
                                            start_new_session=True)
        self.pid = self.process.pid

    @property
    def running(self):
        return self.process.poll() is None

    def log_text(self, tail=4000):
        try:
            return self.log.read_text(encoding='utf-8', errors='replace')[-tail:]
        except OSError:
            return ''

    def wait_for_log(self, pattern, timeout, failure=None):
        """Wait until the log matches `pattern`; raise NetBoxError when the program exits, `failure` matches, or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text(tail=200000)
            if re.search(pattern, text):
                return
            if failure and re.search(failure, text):
                raise NetBoxError('%s failed:\n%s' % (self.name, self.log_text()))
            if not self.running:
                raise NetBoxError('%s exited (%s):\n%s' % (self.name, self.process.returncode, self.log_text()))
            if time.monotonic() > deadline:
                raise NetBoxError('%s not ready in %ss:\n%s' % (self.name, timeout, self.log_text()))
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        """Send `sig` to the group, wait up to `grace` s for the leader, then SIGKILL the group."""
        if self.running:
            _kill_group(self.pid, sig)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        _kill_group(self.pid, signal.SIGKILL)   # leftovers of the group (workers, backends)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


# -- run directories -------------------------------------------------------------------------------------------------

def _new_run_dir(detached=False):
    run = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    run.chmod(0o711)   # PostgreSQL, as another user, must reach its directories inside
    _write_owner(run, detached=detached, services={})
    return run


def _write_owner(run, detached, services):
    info = {'pid': os.getpid(), 'start': _proc_start_ticks(os.getpid()), 'detached': detached, 'services': services}
    tmp = run / (OWNER_FILE + '.tmp')
    tmp.write_text(json.dumps(info), encoding='utf-8')
    tmp.replace(run / OWNER_FILE)


def _ours(pid):
    """True when process pid runs one of the programs this harness starts (postgres, redis-server, a Python)."""
    try:
        exe = os.path.basename(os.readlink('/proc/%d/exe' % pid))
    except OSError:
        return False
    return exe in ('postgres', 'redis-server', 'redis-check-rdb') or exe.startswith('python')


def _stop_processes_in(run, groups, sig=signal.SIGKILL):
    """SIGKILL what still works in `run`: first the process groups of `groups` (the recorded services), then any
    other process of ours there (a worker, a backend). A process that merely has its working directory there (a shell)
    is left alone. Returns the pids signalled."""
    stopped = []
    for pid in groups:
        if pid and _runs_in(pid, str(run)) and _kill_group(pid, sig):
            stopped.append(pid)
    for entry in os.listdir('/proc'):
        if entry.isdigit() and _runs_in(int(entry), str(run)) and _ours(int(entry)):
            try:
                os.kill(int(entry), sig)
                stopped.append(int(entry))
            except OSError:
                pass
    return stopped


def cleanup_stale(tmpdir=None, log=None):
    """Remove the run directories of dead runs (their owner process is gone and, for --background runs, so are their
    services); kill what still runs in them first. Returns the directories removed."""
    removed = []
    for path in sorted(Path(tmpdir or tempfile.gettempdir()).glob(RUN_PREFIX + '*')):
        if not path.is_dir() or path.is_symlink():
            continue
        try:
            info = json.loads((path / OWNER_FILE).read_text(encoding='utf-8'))
        except (OSError, ValueError):
            info = None
        if info is None:
            # Being made right now, or its owner died before writing this: wait 10 minutes to be sure.
            try:
                if time.time() - path.stat().st_mtime < 600:
                    continue
            except OSError:
                continue
            pids = []
        else:
            owner_alive = info.get('start') is not None and _proc_start_ticks(info.get('pid', 0)) == info.get('start')
            pids = [pid for pid in (info.get('services') or {}).values() if pid]
            if owner_alive:
                continue
            if info.get('detached') and any(_runs_in(pid, str(path)) for pid in pids):
                continue
        _stop_processes_in(path, sorted(set(pids)))
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
        if log:
            log('removed the stale run directory %s' % path)
    return removed


# -- PostgreSQL and Redis --------------------------------------------------------------------------------------------

class Postgres:
    """A PostgreSQL server on a data directory of the run, on a free loopback port (trust authentication: loopback,
    one throwaway database)."""

    def __init__(self, bindir, run, user, pdeathsig=True):
        self.bindir, self.run, self.user, self.pdeathsig = bindir, Path(run), user, pdeathsig
        self.data = self.run / 'pgdata'
        self.sockets = self.run / 'pgsock'
        self.port = None
        self.service = None

    def _own(self, *paths):
        if self.user is not None:
            for path in paths:
                os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def initdb(self):
        self.data.mkdir(mode=0o700)
        self._own(self.data)
        cmd = [str(self.bindir / 'initdb'), '-D', str(self.data), '-U', DB_USER, '--auth=trust', '--encoding=UTF8',
               '--locale=C', '--no-sync', '--wal-segsize=1']
        proc = subprocess.run(_wrap(cmd, self.user, False), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=str(self.run), check=False)
        if proc.returncode != 0:
            raise NetBoxError('initdb failed (%d):\n%s' % (proc.returncode, proc.stdout))

    def copy_from(self, source):
        """The run's data directory: a copy of `source` (ownership and modes kept)."""
        proc = subprocess.run(['cp', '-a', '--reflink=auto', str(source), str(self.data)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        if proc.returncode != 0:
            raise NetBoxError('copying the cached database failed:\n%s' % proc.stdout)

    def launch(self, port=None, extra=()):
        """Start postgres on `port` (default: a free one) without waiting (see wait())."""
        self.sockets.mkdir(mode=0o700, exist_ok=True)
        self._own(self.sockets)
        self.port = port or _free_port()
        cmd = [str(self.bindir / 'postgres'), '-D', str(self.data), '-p', str(self.port),
               '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=%s' % self.sockets,
               # throwaway data: no durability
               '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
               '-c', 'max_connections=100', '-c', 'logging_collector=off'] + list(extra)
        self.service = Service('postgres', cmd, self.run / 'postgres.log', self.data, user=self.user, pdeathsig=self.pdeathsig)
        return self

    def wait(self, timeout=60):
        """Until postgres accepts connections; PortInUse when its port was taken."""
        try:
            self.service.wait_for_log(r'database system is ready to accept connections', timeout)
        except NetBoxError as exc:
            text = self.service.log_text()
            self.stop()
            if 'Address already in use' in text or 'could not bind' in text:
                raise PortInUse(str(exc)) from exc
            raise
        return self

    def start(self, timeout=60, extra=()):
        """launch() and wait(), on another free port when the first was taken meanwhile."""
        for attempt in range(5):
            try:
                return self.launch(extra=extra).wait(timeout)
            except PortInUse:
                if attempt == 4:
                    raise
        return self

    def psql(self, sql, database='postgres'):
        cmd = [str(self.bindir / 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', str(self.port),
               '-U', DB_USER, '-d', database, '-Atc', sql]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if proc.returncode != 0:
            raise NetBoxError('psql %r failed:\n%s' % (sql, proc.stdout))
        return proc.stdout

    def stop(self, clean=False):
        """clean: a fast shutdown (SIGINT: a shutdown checkpoint; what a cached directory needs); otherwise an
        immediate one (SIGQUIT), for a copy that is thrown away."""
        if self.service is not None:
            self.service.stop(signal.SIGINT if clean else signal.SIGQUIT, grace=60 if clean else 5)
            self.service = None

    def cluster_state(self):
        proc = subprocess.run([str(self.bindir / 'pg_controldata'), str(self.data)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        match = re.search(r'^Database cluster state:\s*(.+)$', proc.stdout, re.M)
        return match.group(1).strip() if match else proc.stdout


class Redis:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self, run, pdeathsig=True):
        self.run, self.pdeathsig = Path(run), pdeathsig
        self.port = None
        self.service = None

    def launch(self, port=None):
        """Start redis-server on `port` (default: a free one) without waiting (see wait())."""
        self.port = port or _free_port()
        cmd = [redis_server(), '--bind', '127.0.0.1', '--port', str(self.port), '--save', '', '--appendonly', 'no',
               '--dir', str(self.run), '--daemonize', 'no', '--protected-mode', 'yes', '--databases', '4']
        self.service = Service('redis', cmd, self.run / 'redis.log', self.run, pdeathsig=self.pdeathsig)
        return self

    def wait(self, timeout=30):
        """Until Redis accepts connections; PortInUse when its port was taken."""
        try:
            self.service.wait_for_log(r'Ready to accept connections', timeout)
        except NetBoxError as exc:
            text = self.service.log_text()
            self.stop()
            if 'Address already in use' in text:
                raise PortInUse(str(exc)) from exc
            raise
        return self

    def start(self, timeout=30):
        """launch() and wait(), on another free port when the first was taken meanwhile."""
        for attempt in range(5):
            try:
                return self.launch().wait(timeout)
            except PortInUse:
                if attempt == 4:
                    raise
        return self

    def stop(self):
        if self.service is not None:
            self.service.stop(signal.SIGTERM, grace=5)
            self.service = None


# -- the cached, migrated database -----------------------------------------------------------------------------------

def cache_key(version, bindir, user):
    return 'netbox-%s-pg%s-%s-f%d' % (version, pg_major(bindir), user.pw_name if user else 'self', CACHE_FORMAT)


def write_configuration(run, pg_port, redis_port, secret_key=None, pepper=None):
    conf = Path(run) / 'conf'
    conf.mkdir(exist_ok=True)
    (conf / 'configuration.py').write_text(CONFIGURATION.format(
        db_name=DB_NAME, db_user=DB_USER, pg_port=pg_port, redis_port=redis_port,
        secret_key=secret_key or secrets.token_urlsafe(60), pepper=pepper or secrets.token_urlsafe(60)), encoding='utf-8')


def netbox_env(run, venv=None):
    venv = Path(venv or VENV)
    env = dict(os.environ)
    env.update({'NETBOX_ROOT': str(run), 'PATH': '%s:%s' % (venv / 'bin', env.get('PATH', '/usr/bin:/bin')),
                'PYTHONUNBUFFERED': '1'})
    for name in ('NETBOX_CONFIGURATION', 'DJANGO_SETTINGS_MODULE', 'PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV'):
        env.pop(name, None)
    return env


def ensure_cache(venv=None, log=None):
    """The migrated database for the installed NetBox: build/netbox/cache/KEY/{pgdata,meta.json}, built if missing
    (once, under a lock). Returns (path, meta, seconds spent building or 0.0)."""
    venv = Path(venv or VENV)
    version = netbox_version(venv)
    bindir, user = pg_bindir(), pg_user()
    key = cache_key(version, bindir, user)
    target = CACHE / key
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / '.lock', 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / 'meta.json').is_file():
            return target, json.loads((target / 'meta.json').read_text(encoding='utf-8')), 0.0
        began = time.monotonic()
        if log:
            log('building the migrated NetBox %s database (%s); this takes minutes, once' % (version, key))
        cleanup_stale(log=log)
        run = _new_run_dir()
        postgres = redis = None
        try:
            postgres = Postgres(bindir, run, user)
            postgres.initdb()
            # Small WAL: the cache keeps only what the shutdown checkpoint needs.
            postgres.start(extra=['-c', 'min_wal_size=2MB', '-c', 'max_wal_size=32MB'])
            redis = Redis(run).start()
            _write_owner(run, False, {'postgres': postgres.service.pid, 'redis': redis.service.pid})
            postgres.psql('CREATE DATABASE %s' % DB_NAME)
            write_configuration(run, postgres.port, redis.port)
            password = secrets.token_urlsafe(24)
            with open(run / 'migrate.log', 'wb') as out:
                proc = subprocess.run(_wrap([str(venv / 'bin' / 'python'), '-c', BUILD_SCRIPT, ADMIN_USER, password]),
                                      stdout=out, stderr=subprocess.STDOUT, cwd=str(run), env=netbox_env(run, venv), check=False)
            migrations = (run / 'migrate.log').read_text(encoding='utf-8', errors='replace')
            if proc.returncode != 0:
                raise NetBoxError('NetBox migrations failed (%d):\n%s' % (proc.returncode, migrations[-6000:]))
            postgres.psql('CHECKPOINT')
            redis.stop()
            postgres.stop(clean=True)
            state = postgres.cluster_state()
            if state != 'shut down':
                raise NetBoxError('the migrated database did not shut down cleanly (%s); not caching it' % state)
            os.sync()
            partial = CACHE / ('.%s.partial-%d' % (key, os.getpid()))
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            proc = subprocess.run(['cp', '-a', str(postgres.data), str(partial / 'pgdata')], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, check=False)
            if proc.returncode != 0:
                raise NetBoxError('copying the migrated database into the cache failed:\n%s' % proc.stdout)
            meta = {'netbox': version, 'postgres': pg_major(bindir), 'format': CACHE_FORMAT, 'admin': ADMIN_USER,
                    'password': password, 'migrations': migrations.count('Applying '),
                    'build_seconds': round(time.monotonic() - began, 1), 'built': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
            (partial / 'meta.json').write_text(json.dumps(meta, indent=2) + '\n', encoding='utf-8')
            os.sync()
            partial.rename(target)
            # Caches of other versions or formats are of no more use.
            for other in CACHE.iterdir():
                if other.is_dir() and other.name != key and (other.name.startswith('netbox-') or '.partial-' in other.name):
                    shutil.rmtree(other, ignore_errors=True)
            return target, meta, time.monotonic() - began
        finally:
            if redis is not None:
                redis.stop()
            if postgres is not None:
                postgres.stop()
            shutil.rmtree(run, ignore_errors=True)


# -- NetBox ----------------------------------------------------------------------------------------------------------

class NetBox:
    """A running NetBox (gunicorn) with its own PostgreSQL and Redis: url, token, api(), stop()."""

    def __init__(self, run, detached):
        self.run = Path(run)
        self.detached = detached
        self.url = None
        self.token = None          # the whole v2 token: nbt_<key>.<secret>
        self.token_id = None
        self.version = None
        self.postgres = None
        self.redis = None
        self.gunicorn = None
        # seconds: cache (building it; 0 when cached); from the start of the services: copy, postgres, redis (ready), netbox
        # (answering HTTP; these overlap); then token (provisioning it), total (all of start()), stop
        self.timings = {}
        self.started_in = None
        self.tls = False
        self.cafile = None         # with tls: the self-signed certificate NetBox serves (trust it as the CA)

    # -- life cycle -----------------------------------------------------------------------------------------------
    @classmethod
    def start(cls, workers=2, threads=4, timeout=180, detach=False, venv=None, log=None, tls=False):
        """Start PostgreSQL (on a copy of the cached migrated database; building it first if needed), Redis and
        NetBox's gunicorn (workers x threads), wait until GET /api/status/ answers 200 with a fresh token.
        tls: gunicorn serves https with a self-signed certificate for 127.0.0.1 (openssl), in nb.cafile.

        Stops all of it at exit of this process (unless detach: then --stop or stop_detached() does)."""
        began = time.monotonic()
        venv = Path(venv or VENV)
        cleanup_stale(log=log)
        cache, meta, built = ensure_cache(venv, log=log)
        nb = cls(_new_run_dir(detached=detach), detach)
        nb.tls = tls
        nb.version = meta['netbox']
        nb.timings['cache'] = round(built, 2)
        if not detach:
            atexit.register(nb.stop)
        try:
            nb._start(cache, meta, venv, workers, threads, timeout)
        except BaseException:
            nb.stop()
            raise
        nb.timings['total'] = round(time.monotonic() - began, 2)
        nb.started_in = round(time.monotonic() - began - built, 2)
        return nb

    def _start(self, cache, meta, venv, workers, threads, timeout):
        """NetBox (gunicorn) first: importing it takes most of the time (~7 s), and it needs neither database nor Redis
        for that, so the database is copied and PostgreSQL and Redis started meanwhile, on ports chosen beforehand. If
        one of those ports is taken before PostgreSQL or Redis binds it, all three start again on others."""
        began = time.monotonic()
        self.postgres = Postgres(pg_bindir(), self.run, pg_user(), pdeathsig=not self.detached)
        self.redis = Redis(self.run, pdeathsig=not self.detached)
        for attempt in range(3):
            ports = set()
            while len(ports) < 2:
                ports.add(_free_port())
            pg_port, redis_port = sorted(ports)
            write_configuration(self.run, pg_port, redis_port)
            self._launch_gunicorn(venv, workers, threads)
            try:
                if attempt == 0:
                    self.postgres.copy_from(cache / 'pgdata')
                    self.timings['copy'] = round(time.monotonic() - began, 3)
                self.postgres.launch(pg_port)
                self.redis.launch(redis_port)
                self._record()
                self.postgres.wait()
                self.timings['postgres'] = round(time.monotonic() - began, 3)
                self.redis.wait()
                self.timings['redis'] = round(time.monotonic() - began, 3)
                break
            except PortInUse:
                self.gunicorn.stop(signal.SIGKILL, grace=0)
                self.redis.stop()
                self.postgres.stop()
                if attempt == 2:
                    raise
        self._wait_http(timeout)
        self.timings['netbox'] = round(time.monotonic() - began, 3)
        mark = time.monotonic()
        status, body = self.api('POST', '/api/users/tokens/provision/', {
            'username': meta['admin'], 'password': meta['password'], 'write_enabled': True,
            'description': 'guestnet tests (tests/netbox/harness.py)'}, auth=False)
        if status != 201 or body.get('version') != 2:
            raise NetBoxError('provisioning a token answered %s: %s' % (status, body))
        self.token = 'nbt_%s.%s' % (body['key'], body['token'])
        self.token_id = body['id']
        self.api('GET', '/api/status/', expect=200)
        self.timings['token'] = round(time.monotonic() - mark, 3)

    def _launch_gunicorn(self, venv, workers, threads):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            # Bound here and handed to gunicorn: no race for this port.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(('127.0.0.1', 0))
            listener.listen(128)
            port = listener.getsockname()[1]
            cmd = [str(venv / 'bin' / 'gunicorn'), '--bind', 'fd://%d' % listener.fileno(), '--workers', str(workers),
                   '--threads', str(threads), '--worker-class', 'gthread', '--timeout', '120', '--graceful-timeout', '2',
                   # --preload: NetBox is imported once, before the workers fork (it opens no connection doing so)
                   '--no-control-socket', '--preload', 'netbox.wsgi']
            if self.tls:
                cmd[1:1] = ['--certfile', self._certificate(), '--keyfile', str(self.run / 'tls-key.pem')]
            self.gunicorn = Service('netbox', cmd, self.run / 'netbox.log', self.run, env=netbox_env(self.run, venv),
                                    pass_fds=(listener.fileno(),), pdeathsig=not self.detached)
        self.url = '%s://127.0.0.1:%d' % ('https' if self.tls else 'http', port)
        self._record()

    def _certificate(self):
        """A self-signed certificate for 127.0.0.1 (its own CA), made once per run: its path."""
        cert, key = self.run / 'tls-cert.pem', self.run / 'tls-key.pem'
        if not cert.exists():
            proc = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(key), '-out', str(cert),
                                   '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
            if proc.returncode:
                raise NetBoxError('openssl could not make a certificate:\n%s' % proc.stdout.decode(errors='replace'))
        self.cafile = str(cert)
        return self.cafile

    def _record(self):
        services = {}
        for name, part in (('postgres', self.postgres), ('redis', self.redis)):
            if part is not None and part.service is not None:
                services[name] = part.service.pid
        if self.gunicorn is not None:
            services['netbox'] = self.gunicorn.pid
        _write_owner(self.run, self.detached, services)

    def _wait_http(self, timeout):
        """Until NetBox answers anything over HTTP (403 without a token: Django is serving)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.gunicorn.running:
                raise NetBoxError('NetBox (gunicorn) exited (%s):\n%s' % (self.gunicorn.process.returncode, self.gunicorn.log_text()))
            try:
                status, dummy = self.api('GET', '/api/status/', auth=False, timeout=10)
                if status in (200, 401, 403):
                    return
                raise NetBoxError('GET /api/status/ answered %s:\n%s' % (status, self.gunicorn.log_text()))
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise NetBoxError('NetBox did not answer in %ss:\n%s' % (timeout, self.gunicorn.log_text()))
            time.sleep(0.1)

    def stop(self, keep=None):
        """Stop NetBox, Redis and PostgreSQL and remove the run directory (kept with keep=True or
        $GUESTNET_NETBOX_KEEP set, for its logs). Idempotent."""
        began = time.monotonic()
        if self.gunicorn is not None:
            # A quick shutdown (SIGINT) still waits for the workers' threads; nothing of NetBox's is worth waiting for.
            self.gunicorn.stop(signal.SIGINT, grace=1)
            self.gunicorn = None
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        if self.run.is_dir() and not (keep if keep is not None else os.environ.get('GUESTNET_NETBOX_KEEP')):
            shutil.rmtree(self.run, ignore_errors=True)
        self.timings.setdefault('stop', round(time.monotonic() - began, 2))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return all(part is not None and part.running for part in (
            self.gunicorn, self.redis and self.redis.service, self.postgres and self.postgres.service))

    def logs(self):
        """The last lines of each service's log."""
        return {name: (self.run / name).read_text(encoding='utf-8', errors='replace')[-4000:]
                for name in ('netbox.log', 'postgres.log', 'redis.log') if (self.run / name).is_file()}

    # -- the API --------------------------------------------------------------------------------------------------
    @property
    def headers(self):
        """The request headers of an API call: the v2 token goes as `Authorization: Bearer nbt_<key>.<secret>`."""
        return {'Authorization': 'Bearer %s' % self.token, 'Accept': 'application/json', 'Content-Type': 'application/json'}

    def api(self, method, path, body=None, auth=True, expect=None, timeout=60, headers=None):
        """One REST call (path under the NetBox URL, body as JSON). Returns (status, parsed JSON, or the text when it is
        not JSON); with expect (a status or several), raises NetBoxError for any other status. headers: added to (or
        replacing) the token's."""
        headers = dict(self.headers if auth else {'Accept': 'application/json', 'Content-Type': 'application/json'}, **(headers or {}))
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            context = ssl.create_default_context(cafile=self.cafile) if self.cafile else None
            with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors='replace')
        if expect is not None and status not in ((expect,) if isinstance(expect, int) else tuple(expect)):
            raise NetBoxError('%s %s answered %s: %s' % (method, path, status, parsed))
        return status, parsed

    def env(self):
        return {'NETBOX_URL': self.url, 'NETBOX_TOKEN': self.token}

    def exports(self):
        return 'export ' + ' '.join('%s=%s' % item for item in self.env().items())

    def state(self):
        """What --stop needs of a --background instance."""
        services = json.loads((self.run / OWNER_FILE).read_text(encoding='utf-8'))['services']
        return {'run': str(self.run), 'url': self.url, 'token': self.token, 'services': services}


def stop_detached(state):
    """Stop a --background instance from its state (NetBox.state()): its service groups, if they still work in its run
    directory, then the directory."""
    run = Path(state['run'])
    services = state.get('services') or {}
    order = [services.get(name) for name in ('netbox', 'redis', 'postgres')]
    for pid, sig in zip(order, (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)):
        if pid and _runs_in(pid, str(run)):
            _kill_group(pid, sig)
            deadline = time.monotonic() + 5
            while _runs_in(pid, str(run)) and time.monotonic() < deadline:
                time.sleep(0.05)
    _stop_processes_in(run, [pid for pid in order if pid])
    shutil.rmtree(run, ignore_errors=True)


# -- command line ----------------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--foreground', action='store_true', help='run until interrupted (the default)')
    mode.add_argument('--background', action='store_true', help='leave NetBox running and exit (see --pid-file)')
    mode.add_argument('--stop', action='store_true', help='stop the NetBox of --pid-file')
    mode.add_argument('--prepare', action='store_true', help='only build the cached, migrated database if missing')
    parser.add_argument('--workers', type=int, default=2, help='gunicorn workers (default 2)')
    parser.add_argument('--threads', type=int, default=4, help='threads per worker (default 4)')
    parser.add_argument('--env-file', help='also write the export line to this file')
    parser.add_argument('--env-json', help='also write NETBOX_URL and NETBOX_TOKEN to this file as a JSON object')
    parser.add_argument('--pid-file', help='with --background/--stop: where the run directory, processes and connection are kept')
    return parser.parse_args(argv)


def _say(message):
    print('# ' + message, file=sys.stderr, flush=True)


def main(argv=None):
    args = parse_args(argv)
    if args.stop:
        if not args.pid_file or not Path(args.pid_file).is_file():
            print('harness.py --stop needs the --pid-file written by --background', file=sys.stderr)
            return 2
        stop_detached(json.loads(Path(args.pid_file).read_text(encoding='utf-8')))
        Path(args.pid_file).unlink()
        return 0
    if args.prepare:
        path, meta, built = ensure_cache(log=_say)
        print('%s (NetBox %s, %s migrations%s)' % (path, meta['netbox'], meta['migrations'],
                                                   ', built in %.0fs' % built if built else ', cached'))
        return 0
    if args.background and not args.pid_file:
        print('harness.py --background needs --pid-file (for --stop)', file=sys.stderr)
        return 2
    nb = NetBox.start(workers=args.workers, threads=args.threads, detach=args.background, log=_say)
    header = '# NetBox %s at %s (run directory %s), started in %.1fs: %s' % (
        nb.version, nb.url, nb.run, nb.started_in, ', '.join('%s %ss' % item for item in nb.timings.items()))
    print(header)
    print(nb.exports(), flush=True)
    if args.env_file:
        Path(args.env_file).write_text(header + '\n' + nb.exports() + '\n', encoding='utf-8')
    if args.env_json:
        Path(args.env_json).write_text(json.dumps(nb.env(), indent=2) + '\n', encoding='utf-8')
    if args.background:
        Path(args.pid_file).write_text(json.dumps(nb.state()) + '\n', encoding='utf-8')
        return 0
    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(True))
    try:
        while not stopping and nb.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    if not nb.running and not stopping:
        print('a service exited:\n%s' % json.dumps(nb.logs(), indent=2), file=sys.stderr)
    nb.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
