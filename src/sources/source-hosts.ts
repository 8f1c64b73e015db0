import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { CovenantError } from "../core/errors.ts";

// Which hosts a server-side data source may connect to (SOURCE_HOSTS). Without it, only public
// addresses: a source must not turn the server into a probe of its own machine, its private
// network or the cloud metadata service. A name is resolved once, every address it resolves to is
// checked, and the connection goes to a checked address, so a DNS answer that changes between the
// check and the connection (rebinding) cannot redirect it.

export type SourceHosts = {
  /** Public addresses are allowed (SOURCE_HOSTS unset, or listing `public`). */
  public: boolean;
  /** Host names allowed whatever they resolve to: exact (`db.example.com`) or a suffix (`*.example.com`). */
  names: string[];
  /** Addresses and CIDR ranges allowed even when private. */
  addresses: BlockList;
  /** As configured, for messages. */
  text: string;
};

/** Not public: loopback, private, shared, link-local (the metadata service), documentation, multicast, reserved. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  // IPv4 embedded in IPv6 (mapped, NAT64, 6to4, Teredo) would carry a private IPv4 past the list.
  ["::ffff:0:0", 96],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2002::", 16],
  ["2001::", 32],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, "ipv6");
}

const family = (address: string): "ipv4" | "ipv6" => (isIP(address) === 6 ? "ipv6" : "ipv4");

const HOST_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*\.?$/;

/**
 * SOURCE_HOSTS: comma- or space-separated entries, each `public`, a host name (`db.example.com`,
 * `*.corp.example.com`), an address (`10.1.2.3`, `fd00::5`) or a range (`10.0.0.0/8`).
 * Unset or empty: `public`.
 */
export const parseSourceHosts = (text: string | undefined): SourceHosts => {
  const entries = (text ?? "")
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  const hosts: SourceHosts = {
    public: entries.length === 0,
    names: [],
    addresses: new BlockList(),
    text: entries.length === 0 ? "public" : entries.join(","),
  };
  for (const entry of entries) {
    const bare = entry.replace(/^\[(.*)\]$/, "$1");
    const cidr = /^([^/]+)\/(\d{1,3})$/.exec(bare);
    if (entry === "public") hosts.public = true;
    else if (isIP(bare)) hosts.addresses.addAddress(bare, family(bare));
    else if (cidr && isIP(cidr[1] as string)) {
      const prefix = Number(cidr[2]);
      const kind = family(cidr[1] as string);
      if (prefix > (kind === "ipv4" ? 32 : 128)) {
        throw new CovenantError("invalid_input", `SOURCE_HOSTS: ${entry} is not a valid address range`);
      }
      hosts.addresses.addSubnet(cidr[1] as string, prefix, kind);
    } else if (HOST_NAME.test(entry)) hosts.names.push(entry.replace(/\.$/, ""));
    else {
      throw new CovenantError(
        "invalid_input",
        `SOURCE_HOSTS: "${entry}" is not a host name, an address, a range (10.0.0.0/8) or "public"`,
      );
    }
  }
  return hosts;
};

const nameAllowed = (hostname: string, hosts: SourceHosts): boolean => {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return hosts.names.some((entry) =>
    entry.startsWith("*.") ? name.endsWith(entry.slice(1)) && name.length > entry.length - 1 : name === entry,
  );
};

/** Whether a source may connect to `address`, reached through `hostname` (the same text for a literal address). */
export const addressAllowed = (address: string, hostname: string, hosts: SourceHosts): boolean =>
  hosts.addresses.check(address, family(address)) ||
  (isIP(hostname) === 0 && nameAllowed(hostname, hosts)) ||
  (hosts.public && !NOT_PUBLIC.check(address, family(address)));

export class HostUnreachable extends Error {}

/**
 * The address to connect to for `hostname`, once every address it resolves to is allowed.
 * Refused: CovenantError invalid_input (the configuration decides, not the network). A name that
 * does not resolve: HostUnreachable, answered like any other unreachable target.
 */
export const checkedAddress = async (hostname: string, hosts: SourceHosts): Promise<string> => {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIP(bare)) addresses = [bare];
  else {
    try {
      addresses = (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw new HostUnreachable(`${bare} does not resolve`);
    }
  }
  const refused = addresses.filter((address) => !addressAllowed(address, bare, hosts));
  if (addresses.length === 0) throw new HostUnreachable(`${bare} does not resolve`);
  if (refused.length > 0) {
    throw new CovenantError(
      "invalid_input",
      `${bare} is not an allowed data source host: ${isIP(bare) ? "it is" : "it resolves to"} a loopback, private, ` +
        "link-local or otherwise non-public address, or one outside the server's list. The operator allows hosts " +
        `with SOURCE_HOSTS (now: ${hosts.text}), e.g. SOURCE_HOSTS=db.internal.example.com,10.20.0.0/16.`,
      [{ path: "location", message: "host not allowed (SOURCE_HOSTS)" }],
    );
  }
  return addresses[0] as string;
};
