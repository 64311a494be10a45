// Preloaded into emulator child processes (node --require). Emulators that bind 0.0.0.0 with no
// host setting are kept on the loopback interface, and every bound port is reported on stderr
// as `LOOPBACK_LISTENING <port>` so the parent can use port 0 and learn the real port.
'use strict';
const net = require('node:net');
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') process.stderr.write(`LOOPBACK_LISTENING ${address.port}\n`);
  });
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    return originalListen.call(this, { ...first, host: '127.0.0.1' }, ...args.slice(1));
  }
  if (typeof first === 'number' || typeof first === 'string') {
    const callback = args.find((arg) => typeof arg === 'function');
    return originalListen.call(this, Number(first), '127.0.0.1', callback);
  }
  return originalListen.apply(this, args);
};
