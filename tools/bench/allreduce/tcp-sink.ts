// Raw node:net baseline: accepts one connection and acknowledges every `roundBytes` received.
import net from 'node:net';

const roundBytes = Number(process.argv[2]);
const server = net.createServer((socket) => {
  let received = 0;
  socket.on('data', (data) => {
    received += data.length;
    while (received >= roundBytes) {
      received -= roundBytes;
      socket.write('k');
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }));
process.on('message', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
