"""Per-version text renderers. Each function returns the output as a list of lines."""

from fortisim.render.config import phase1_entry, phase1_get, phase1_show, phase2_show
from fortisim.render.ike import gateway_list
from fortisim.render.ipsec import ipsec_status, ipsec_tunnel_list, stats_tunnel, tunnel_details
from fortisim.render.system import console_get, console_show, system_status
from fortisim.render.tunnel import dialup_list, tunnel_list, tunnel_summary

__all__ = ["console_get", "console_show", "dialup_list", "gateway_list", "ipsec_status", "ipsec_tunnel_list",
           "phase1_entry", "phase1_get", "phase1_show", "phase2_show", "stats_tunnel", "system_status",
           "tunnel_details", "tunnel_list", "tunnel_summary"]
