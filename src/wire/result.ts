// Parsing never throws into the engine: a codec answers with a typed result, as smoltcp's
// `Packet::new_checked` answers `Err(Error::Truncated)` / `Err(Error::Checksum)`.

/** Why a frame or packet could not be read. */
export type WireError =
  | 'truncated' // shorter than its header or its declared length
  | 'bad-checksum' // a checksum the kernel verifies on receive does not add up
  | 'bad-version' // IPv4 version field is not 4
  | 'bad-header-length' // IHL < 5, TCP data offset < 5, ...
  | 'bad-length' // total/UDP length field inconsistent with the header or the bytes
  | 'unsupported' // a valid but unhandled variant (ARP for non Ethernet/IPv4, VXLAN without I flag ...)
  | 'malformed'; // anything else structurally wrong (DHCP option overruns, bad magic cookie ...)

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

export const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
export const fail = <T = never>(error: WireError): ParseResult<T> => ({ ok: false, error });
