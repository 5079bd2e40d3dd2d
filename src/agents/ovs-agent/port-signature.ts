// The attributes of a port an L2 agent acts on. neutron-server sends port_update only when one of
// them changes; a status change alone (the agent's own update_device_up) is not news to the agent.

export interface PortLike {
  admin_state_up?: boolean;
  mac_address?: string;
  network_id?: string;
  fixed_ips?: { ip_address: string }[];
  security_groups?: string[];
  port_security_enabled?: boolean;
  allowed_address_pairs?: { ip_address: string; mac_address?: string | null }[];
}

export function portSignature(p: PortLike): string {
  return JSON.stringify([
    p.admin_state_up ?? true,
    p.mac_address,
    p.network_id,
    (p.fixed_ips ?? []).map((f) => f.ip_address),
    p.security_groups ?? [],
    p.port_security_enabled ?? true,
    (p.allowed_address_pairs ?? []).map((a) => [a.ip_address, a.mac_address ?? null]),
  ]);
}
