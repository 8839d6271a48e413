// The attack bench's /health poller, in its own process so that the bench's own work (the scripted
// upstream, a 50 MB upload) does not count as the bridge's slowness. Messages from the parent:
// { url } to start a window, 'stop' to end it; it answers { slowest } in ms.
import http from 'node:http';

let url;
let slowest = 0;
let polling = false;

const once = () =>
  new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(url, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    });
    req.on('error', () => resolve(performance.now() - started));
  });

async function loop() {
  while (polling) {
    slowest = Math.max(slowest, await once());
    await new Promise((r) => setTimeout(r, 25));
  }
}

let running;
process.on('message', async (msg) => {
  if (msg === 'stop') {
    polling = false;
    await running;
    process.send({ slowest });
  } else if (msg === 'exit') process.exit(0);
  else {
    url = msg.url;
    slowest = 0;
    polling = true;
    running = loop();
  }
});
