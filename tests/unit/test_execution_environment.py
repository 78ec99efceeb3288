# -*- coding: utf-8 -*-
# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/execution-environment.yml as ansible-builder (test-requirements.txt) reads it, both ways, offline:

- introspection, when a user's EE installs guestnet.vsphere: ``ansible-builder introspect`` of a collections folder
  that holds this collection, as ansible-galaxy installs it;
- a definition of its own: ``ansible-builder create -f meta/execution-environment.yml`` (create only writes the build
  context, so no container runtime is needed).

Both must yield the list in meta/requirements.txt. examples/awx/execution-environment.yml, the definition a user builds
an EE from, is checked the same way.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
import shutil
import subprocess
import sys
from pathlib import Path

# ansible-builder comes from test-requirements.txt: without it these tests fail here, they are not skipped.
import ansible_builder  # noqa: F401  # pylint: disable=unused-import
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def requirement_lines(path: Path):
    """The requirements of a pip file: no comments, no blank lines, no trailing comment."""
    lines = [line.split('#', 1)[0].strip() for line in path.read_text(encoding='utf-8').splitlines()]
    return [line for line in lines if line]


EXPECTED = requirement_lines(ROOT / 'meta' / 'requirements.txt')


def ansible_builder(*args: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, '-m', 'ansible_builder'] + list(args), cwd=str(cwd), check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    assert result.returncode == 0, result.stdout
    return result.stdout


@pytest.fixture(name='installed')
def installed_fixture(tmp_path):
    """The collection's metadata and requirements as ansible-galaxy installs them: <path>/ansible_collections/guestnet/vsphere."""
    coll = tmp_path / 'collections' / 'ansible_collections' / 'guestnet' / 'vsphere'
    shutil.copytree(str(ROOT / 'meta'), str(coll / 'meta'))
    for name in ('galaxy.yml', 'requirements.txt'):
        shutil.copy(str(ROOT / name), str(coll / name))
    return coll


def test_the_list_is_not_empty():
    assert any(line.startswith('pyvmomi') for line in EXPECTED), EXPECTED


def test_the_definition_names_a_file_relative_to_both_places():
    definition = yaml.safe_load((ROOT / 'meta' / 'execution-environment.yml').read_text(encoding='utf-8'))
    python = definition['dependencies']['python']
    assert definition['version'] == 3
    # A path, not an inline list: introspection reads only paths.
    assert isinstance(python, str) and '\n' not in python and not os.path.isabs(python)
    assert (ROOT / python).is_file() and not (ROOT / python).is_symlink()               # introspection: the root
    assert (ROOT / 'meta' / python).is_file() and not (ROOT / 'meta' / python).is_symlink()  # create -f: next to it


def test_introspection_of_the_installed_collection(installed, tmp_path):
    written = tmp_path / 'introspected.txt'
    ansible_builder('introspect', str(installed.parents[2]), '--write-pip', str(written), cwd=tmp_path)
    lines = [line for line in written.read_text(encoding='utf-8').splitlines() if line]
    assert all(line.endswith('  # from collection guestnet.vsphere') for line in lines), lines
    # ansible-builder leaves out PyYAML (every EE has it, with ansible-core).
    assert requirement_lines(written) == [line for line in EXPECTED if not line.lower().startswith('pyyaml')]


@pytest.mark.parametrize('relative', [True, False], ids=['from-the-collection-root', 'from-elsewhere'])
def test_create_with_the_file_as_a_definition_of_its_own(installed, tmp_path, relative):
    context = tmp_path / 'context'
    if relative:     # what the user ran: meta/meta/ee-requirements.txt did not exist
        ansible_builder('create', '-f', 'meta/execution-environment.yml', '--output-filename', 'Containerfile', '-c', str(context),
                        cwd=installed)
    else:
        ansible_builder('create', '-f', str(installed / 'meta' / 'execution-environment.yml'), '--output-filename', 'Containerfile',
                        '-c', str(context), cwd=tmp_path)
    copied = context / '_build' / 'requirements.txt'
    assert copied.is_file() and not copied.is_symlink()      # a symlink would reach the container build dangling
    assert requirement_lines(copied) == EXPECTED
    assert '--user-pip=requirements.txt' in (context / 'Containerfile').read_text(encoding='utf-8')


def test_the_awx_example_definition(tmp_path):
    """examples/awx/execution-environment.yml: installs this collection from Galaxy (its Python dependencies then come
    by introspection) and ansible-runner and ansible-core."""
    source = ROOT / 'examples' / 'awx' / 'execution-environment.yml'
    definition = yaml.safe_load(source.read_text(encoding='utf-8'))
    assert definition['version'] == 3
    collections = definition['dependencies']['galaxy']['collections']
    assert any(item['name'] == 'guestnet.vsphere' for item in collections)
    context = tmp_path / 'context'
    ansible_builder('create', '-f', str(source), '--output-filename', 'Containerfile', '-c', str(context), cwd=tmp_path)
    galaxy = yaml.safe_load((context / '_build' / 'requirements.yml').read_text(encoding='utf-8'))
    assert any(item['name'] == 'guestnet.vsphere' for item in galaxy['collections'])
    containerfile = (context / 'Containerfile').read_text(encoding='utf-8')
    assert 'ansible-galaxy collection install' in containerfile and 'introspect' in containerfile
