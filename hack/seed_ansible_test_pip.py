# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed ansible-test's pip bootstrap cache with an offline-capable get-pip.py.

ansible-test bootstraps pip into every virtual environment it creates by
running ``get-pip-<version>.py``, which it downloads once from
ci-files.testing.ansible.com into ``~/.ansible/test/cache/get_pip_<v>.py``.
That host is not reachable from every build machine (it is not from ours),
so this script writes a small replacement into the cache instead.

The replacement does what get-pip.py does: it runs the pip wheel bundled with
the interpreter (``ensurepip/_bundled/pip-*.whl``) to install the packages
ansible-test asks for (``pip==24.2`` ...) from the configured index.  It keeps
the caller's environment, so pip.conf (CA bundle, index) still applies.  When
an interpreter has no bundled wheel it falls back to ``python -m ensurepip``
in a child process and then ``python -m pip install``; ensurepip sets
``PIP_CONFIG_FILE=/dev/null`` for itself, which must not leak into the
second step or the CA bundle from /etc/pip.conf is lost.

Usage: python3 hack/seed_ansible_test_pip.py [--force] [VERSION ...]
(default versions: those used by ansible-core 2.16 to 2.21).
Existing cache files that this script did not write are left alone, unless
--force is given.
"""

from __future__ import annotations

import os
import sys

MARKER = '# guestnet.vsphere get-pip shim'
DEFAULT_VERSIONS = ('23.1.2', '24.2', '25.2')

SHIM = MARKER + r''' (written by hack/seed_ansible_test_pip.py; safe to delete)
"""Offline stand-in for get-pip.py, run by ansible-test as ``python get_pip.py [options] pkg==v ...``."""
import glob
import os
import subprocess
import sys

# Options that only get-pip.py understands.
GET_PIP_ONLY = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    env = dict(os.environ)
    if env.get('PIP_CONFIG_FILE') == os.devnull:
        del env['PIP_CONFIG_FILE']
    try:
        import ensurepip
        wheels = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl')))
    except ImportError:
        wheels = []
    if wheels:
        # pip runs straight from its wheel, like get-pip.py does.
        command = [sys.executable, os.path.join(wheels[-1], 'pip'), 'install', '--quiet'] + args
        sys.exit(subprocess.call(command, env=env))
    status = subprocess.call([sys.executable, '-m', 'ensurepip', '--default-pip'], env=env)
    if status:
        sys.exit(status)
    sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args, env=env))


if __name__ == '__main__':
    main()
'''


def main(argv: list[str]) -> int:
    force = '--force' in argv
    versions = [arg for arg in argv if arg != '--force'] or list(DEFAULT_VERSIONS)
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    for version in versions:
        path = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
        if os.path.exists(path) and not force:
            with open(path, encoding='utf-8') as handle:
                current = handle.read()
            if current == SHIM:
                continue
            if not current.startswith(MARKER):
                print('seed_ansible_test_pip: keeping %s (not ours; use --force to replace)' % path)
                continue
        with open(path + '.tmp', 'w', encoding='utf-8') as handle:
            handle.write(SHIM)
        os.replace(path + '.tmp', path)
        print('seed_ansible_test_pip: wrote %s' % path)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
