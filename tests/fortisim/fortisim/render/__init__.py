"""Per-version text renderers. Each function returns the output as a list of lines."""

from fortisim.render.ike import gateway_list
from fortisim.render.system import console_get, console_show, system_status
from fortisim.render.tunnel import dialup_list, tunnel_list, tunnel_summary

__all__ = ["console_get", "console_show", "dialup_list", "gateway_list", "system_status",
           "tunnel_list", "tunnel_summary"]
