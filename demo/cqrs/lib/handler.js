// The worker role of either version: consumes PlaceOrder commands and records them once.
// On SIGTERM it stops taking messages, finishes (and acks) the ones it holds, then exits.
import { connect, queueName } from "./bus.js";
import { handler, open } from "./store.js";

export async function workerRole(version, extra) {
  const db = open();
  const apply = handler(db, version, extra ? extra(db) : undefined);
  const { conn, channel } = await connect();
  const queue = queueName();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(Number(process.env.CQRS_PREFETCH ?? 10));
  let inFlight = 0;
  const delayMs = Number(process.env.CQRS_HANDLE_MS ?? 5);
  const { consumerTag } = await channel.consume(queue, (msg) => {
    if (!msg) return;
    inFlight++;
    setTimeout(() => {
      apply(JSON.parse(msg.content.toString()));
      channel.ack(msg);
      inFlight--;
    }, delayMs);
  });
  console.log(`cqrs ${version} handler consuming ${queue}`);
  process.on("SIGTERM", async () => {
    await channel.cancel(consumerTag);
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    await conn.close();
    process.exit(0);
  });
}
