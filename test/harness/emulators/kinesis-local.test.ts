import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { findPlainHttpPort } from './kinesis-local.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

it('finds the plain HTTP port even when its first request goes unanswered (a loaded machine)', async () => {
  // The TLS port's stand-in drops every connection; the plain one leaves its first request hanging.
  const tls = await listen(net.createServer((socket) => socket.destroy()));
  let requests = 0;
  const plainServer = http.createServer((request, response) => {
    if (++requests === 1) return; // never answered: the probe times out
    response.end('ok');
  });
  const plain = await listen(plainServer);
  await expect(findPlainHttpPort([tls, plain], { timeoutMs: 10_000, probeTimeoutMs: 200 })).resolves.toBe(plain);
  plainServer.closeAllConnections();
});

it('gives up at the deadline when no port answers plain HTTP', async () => {
  const tls = await listen(net.createServer((socket) => socket.destroy()));
  await expect(findPlainHttpPort([tls], { timeoutMs: 300, probeTimeoutMs: 100 })).rejects.toThrow(/answered plain HTTP within 300 ms/);
});
