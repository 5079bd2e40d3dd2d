// TCP connection tracking, simplified from nf_conntrack_proto_tcp: the states conntrack -L shows
// and their timeouts, without window tracking.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/index.js';
import {
  type CtEntry,
  IPS_ASSURED,
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT,
  TCP_LAST_ACK,
  TCP_NONE,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  TIMEOUTS,
} from './conntrack.js';

/** With nf_conntrack_tcp_loose=1 a mid-stream ACK opens a connection; FIN/RST/SYN+ACK alone do not. */
export function tcpCanOpen(flags: number): boolean {
  if (flags & TCP_RST) return false;
  if ((flags & TCP_SYN) !== 0) return (flags & TCP_ACK) === 0;
  return (flags & TCP_ACK) !== 0 && (flags & TCP_FIN) === 0;
}

/** A simplified nf_conntrack_proto_tcp state machine; returns the timeout for the new state. */
export function tcpTrack(ct: CtEntry, dir: number, flags: number): number {
  let s = ct.tcpState;
  if (flags & TCP_RST) s = TCP_CLOSE;
  else if (flags & TCP_SYN) {
    if (dir === 0 && (flags & TCP_ACK) === 0) s = s === TCP_NONE || s >= TCP_TIME_WAIT ? TCP_SYN_SENT : s;
    else if (dir === 1 && (flags & TCP_ACK) !== 0 && s === TCP_SYN_SENT) s = TCP_SYN_RECV;
  } else if (flags & TCP_FIN) {
    if (s === TCP_ESTABLISHED || s === TCP_SYN_RECV) s = dir === 0 ? TCP_FIN_WAIT : TCP_CLOSE_WAIT;
    else if (s === TCP_FIN_WAIT || s === TCP_CLOSE_WAIT) s = TCP_LAST_ACK;
  } else if (flags & TCP_ACK) {
    if (s === TCP_NONE)
      s = TCP_ESTABLISHED; // picked up mid-stream
    else if (s === TCP_SYN_RECV && dir === 0) s = TCP_ESTABLISHED;
    else if (s === TCP_LAST_ACK) s = TCP_TIME_WAIT;
  }
  if (s === TCP_ESTABLISHED && ct.tcpState !== TCP_ESTABLISHED) ct.status |= IPS_ASSURED;
  ct.tcpState = s;
  return TIMEOUTS.tcp[s];
}
