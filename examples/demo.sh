#!/usr/bin/env bash
# `make demo`: start the vCenter simulator and a guest agent, provision the example fleet,
# print the summary, restart one VM, power another off, decommission a third, and stop everything again.
# Against a real vCenter, skip this script: export VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD
# (and SSL_CERT_FILE) and run the same `ansible-playbook guestnet.vsphere.provision` command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-.venv/bin/python}
PLAYBOOK=${PLAYBOOK:-.venv/bin/ansible-playbook}
STATE=build/demo
mkdir -p "$STATE"

# GUESTNET_DEMO_LEDGER=netbox (make demo-netbox): the subnet ledger is a real NetBox (tests/netbox/harness.py), not a file.
LEDGER_KIND=${GUESTNET_DEMO_LEDGER:-sqlite}

stop_all() {
    if [ "$LEDGER_KIND" = netbox ]; then
        "$PYTHON" tests/netbox/harness.py --stop --pid-file "$STATE/netbox.pid" >/dev/null 2>&1 || true
    fi
    "$PYTHON" tests/simulator/guest_agent.py --stop --pid-file "$STATE/agent.pid" >/dev/null 2>&1 || true
    "$PYTHON" tests/simulator/run.py --stop --pid-file "$STATE/simulator.pid" >/dev/null 2>&1 || true
}
trap stop_all EXIT

echo "== starting the vCenter simulator"
eval "$("$PYTHON" tests/simulator/run.py --background --pid-file "$STATE/simulator.pid" --content-library images)"
echo "   $VMWARE_HOST:$VMWARE_PORT (TLS verified with $SSL_CERT_FILE), content library images: linux-vmtx, linux-ovf"
echo "== starting the guest agent (plays cloud-init and DHCP inside the simulated guests)"
"$PYTHON" tests/simulator/guest_agent.py --background --pid-file "$STATE/agent.pid" --log-file "$STATE/agent.log"

export ANSIBLE_COLLECTIONS_PATH="$PWD/build/dev"
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1}
run() { echo "== ansible-playbook $*"; "$PLAYBOOK" -i examples/inventory --vault-password-file examples/vault-password.txt "$@"; }

# The subnet ledger of this demo (a fresh one each run, like the simulator): a file, or NetBox.
if [ "$LEDGER_KIND" = netbox ]; then
    echo "== starting NetBox (the ledger: prefixes and IP addresses in NetBox, allocated by NetBox itself)"
    eval "$("$PYTHON" tests/netbox/harness.py --background --pid-file "$STATE/netbox.pid")"
    # As an AWX credential would inject them: the ledger `netbox` is the NetBox of NETBOX_URL, with NETBOX_TOKEN.
    export NETBOX_URL NETBOX_TOKEN
    LEDGER=netbox
    echo "   ledger: netbox, the NetBox at NETBOX_URL=$NETBOX_URL (its token in NETBOX_TOKEN)"
else
    LEDGER="$PWD/$STATE/ledger.sqlite"
    rm -f "$LEDGER"
fi
IPAM=(-e "{\"guestnet_ipam\": {\"ledger\": \"$LEDGER\"}}")

echo "== ansible-playbook guestnet.vsphere.subnet_sync -e @examples/ipam.yml (declare subnet demo-app in $LEDGER)"
"$PLAYBOOK" guestnet.vsphere.subnet_sync -e @examples/ipam.yml -e "subnet_sync_ledger=$LEDGER"
run guestnet.vsphere.provision --forks 5 "${IPAM[@]}"
run guestnet.vsphere.restart --limit web01
run guestnet.vsphere.power --limit app01 -e guestnet_power_state=powered_off
run guestnet.vsphere.decommission --limit dhcp01 "${IPAM[@]}"
echo "== ansible-playbook guestnet.vsphere.subnet_sync (the ledger now: app01's address allocated, the guests' addresses observed)"
"$PLAYBOOK" guestnet.vsphere.subnet_sync -e @examples/ipam.yml -e "subnet_sync_ledger=$LEDGER"
if [ "$LEDGER_KIND" = netbox ]; then
    echo "== in NetBox: the IP addresses guestnet keeps there, as NetBox's IP address list shows them"
    "$PYTHON" - <<'PY'
import json, os, urllib.request
request = urllib.request.Request(os.environ['NETBOX_URL'] + '/api/ipam/ip-addresses/?tag=guestnet&limit=0',
                                 headers={'Authorization': 'Bearer ' + os.environ['NETBOX_TOKEN'], 'Accept': 'application/json'})
with urllib.request.urlopen(request, timeout=30) as answer:
    for item in json.load(answer)['results']:
        print('   %-16s %-10s %s' % (item['address'], item['status']['value'], item['description']))
PY
fi
echo "== demo done; stopping the simulator"
