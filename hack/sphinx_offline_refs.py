# Copyright (c) 2026, guestnet.vsphere contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx extension of `make docs`: links to docs.ansible.com without intersphinx, so the build needs no network.

antsibull-docs' generated pages refer to labels of the Ansible docsite (``action_plugins``, ``common_return_values``,
``ansible_configuration_settings``, other collections' plugins such as
``ansible_collections.ansible.builtin.from_yaml_filter``) and to ansible-core's environment variables
(``ANSIBLE_HOME``). antsibull-docs' Sphinx configuration resolves them with intersphinx, which downloads the docsite's
inventory at every build. `make docs` leaves intersphinx out and loads this extension instead: it turns exactly
those references into links to docs.ansible.com. Any other unresolved reference still warns, and fails the build.
"""

from __future__ import annotations

import re

from docutils import nodes

BASE = 'https://docs.ansible.com/projects/ansible/devel/'

# Labels of the Ansible docsite that antsibull-docs' templates refer to -> their page.
LABELS = {
    'action_plugins': 'plugins/action.html',
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
}

# ansible_collections.<namespace>.<name>.<plugin>_<type>, optionally with __<anchor> (an option or return value).
_PLUGIN_LABEL = re.compile(r'^ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+_[a-z]+)(?:__.*)?$')


def external_url(domain: str, kind: str, target: str, own_collection: str) -> str | None:
    """The docs.ansible.com URL for a reference this site cannot resolve, or None to leave it unresolved."""
    if domain != 'std':
        return None
    if kind == 'envvar':
        # ansible-core's configuration: reference_appendices/config.html documents every ANSIBLE_* variable.
        return BASE + 'reference_appendices/config.html#envvar-%s' % target if target.startswith('ANSIBLE_') else None
    if kind != 'ref':
        return None
    if target in LABELS:
        return BASE + LABELS[target]
    match = _PLUGIN_LABEL.match(target)
    if match is None or '%s.%s' % match.group(1, 2) == own_collection:
        return None   # this collection's own labels must resolve here
    namespace, name, page = match.groups()
    return BASE + 'collections/%s/%s/%s.html' % (namespace, name, page)


def missing_reference(app, env, node, contnode):  # pylint: disable=unused-argument
    """Sphinx's missing-reference event: an external link for the references above."""
    url = external_url(node.get('refdomain', ''), node.get('reftype', ''), node.get('reftarget', ''), app.config.offline_refs_collection)
    if url is None:
        return None
    reference = nodes.reference('', '', internal=False, refuri=url, reftitle=url)
    reference.append(contnode)
    return reference


def setup(app):
    app.add_config_value('offline_refs_collection', 'guestnet.vsphere', 'env')
    app.connect('missing-reference', missing_reference)
    return {'version': '1.0', 'parallel_read_safe': True, 'parallel_write_safe': True}
