// Keeps a test process's own network traffic inside the test namespace:
// UDP may go only to loopback or the namespace's 10.77.0.0/24, and no name
// is resolved. werift, for one, asks a public STUN server by default.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

const allowed = (address) => /^(127\.|10\.77\.0\.)/.test(String(address));

const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function send(msg, ...rest) {
  // send(msg[, offset, length], port[, address][, callback])
  const address = rest.find((a, i) => typeof a === 'string' && i > 0) ?? rest.find((a) => typeof a === 'string');
  if (address && !allowed(address)) {
    const callback = rest.find((a) => typeof a === 'function');
    if (callback) process.nextTick(callback, null, 0);
    return;
  }
  return originalSend.call(this, msg, ...rest);
};

const originalLookup = dns.lookup;
const originalPromisesLookup = dns.promises.lookup;
const refuse = (host, ...rest) => {
  // Literal addresses need no resolver; let them through.
  if (net.isIP(String(host))) return originalLookup(host, ...rest);
  const callback = rest.find((a) => typeof a === 'function');
  const error = Object.assign(new Error(`DNS blocked in tests: ${host}`), { code: 'ENOTFOUND' });
  if (callback) process.nextTick(callback, error);
  else return Promise.reject(error);
};
dns.lookup = refuse;
dns.resolve4 = (host, ...rest) => refuse(`resolve:${host}`, ...rest);
dns.promises.lookup = (host, ...rest) =>
  net.isIP(String(host)) ? originalPromisesLookup(host, ...rest) : refuse(host);
