import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcesOtherPrimary } from '../../src/redis/client.js';

// A real loopback connection stands for the gateway's connection to its primary.
describe('a +switch-master announcement', () => {
  let server: Server;
  let socket: Socket;
  let port: number;
  beforeAll(async () => {
    server = createServer((peer) => peer.on('error', () => {}));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
    socket = new Socket();
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
  });
  afterAll(async () => {
    socket.destroy();
    server.close();
    await once(server, 'close');
  });

  it('leaves alone a connection already open to the primary it names', () => {
    expect(announcesOtherPrimary(`zpe 127.0.0.1 6390 127.0.0.1 ${port}`, 'zpe', socket)).toBe(false);
  });

  it('moves a connection still open to another server', () => {
    expect(announcesOtherPrimary(`zpe 127.0.0.1 ${port} 127.0.0.1 6391`, 'zpe', socket)).toBe(true);
    expect(announcesOtherPrimary(`zpe 127.0.0.1 6390 10.0.0.7 ${port}`, 'zpe', socket)).toBe(true);
    expect(announcesOtherPrimary('zpe 127.0.0.1 6390 127.0.0.1 6391', 'zpe', undefined)).toBe(true);
  });

  it('ignores an announcement about another monitored primary', () => {
    expect(announcesOtherPrimary(`other 127.0.0.1 ${port} 127.0.0.1 6391`, 'zpe', socket)).toBe(false);
  });
});
