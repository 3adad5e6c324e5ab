# Copyright: (c) 2026, secure_kubo.rpc contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What systemd says of a unit, for the modules that read a host
(kubo_host_info, caddy_host_info)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def unit_state(module: AnsibleModule, service: str) -> dict[str, str | bool]:
    """Whether the unit runs now (active), starts at boot (enabled), and which run of it is the current
    one (invocation, empty when none); all empty or false without systemctl."""
    props: dict[str, str] = {}
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        rc, out, dummy = module.run_command(
            [systemctl, "show", "--property=ActiveState", "--property=UnitFileState", "--property=InvocationID", service])
        if rc == 0:
            props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {"active": props.get("ActiveState") == "active", "enabled": props.get("UnitFileState") == "enabled",
            "invocation": props.get("InvocationID", "")}
