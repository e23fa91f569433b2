// The worker role of either version: consumes PlaceOrder commands and records them once.
// It follows the `ProcessorMaintenance` flag as its slot sees it (CQRS Journey V3's "command
// processor MaintenanceMode"): on, it stops taking commands, finishes (and acks) the ones it
// holds, then reports "paused" (the seed's worker role "Ready"); off, it consumes again. With
// PROCESSOR_START_PAUSED=true it starts paused until the flag is explicitly false (V3 in staging).
// On SIGTERM it stops the same way, then exits.
import { watchFlags, isOn } from "../../lib/flags.js";
import { connect, queueName } from "./bus.js";
import { handler, open, setProcessorState } from "./store.js";

export async function workerRole(version, extra, { freshSchema = 1 } = {}) {
  const db = open(process.env, freshSchema);
  const apply = handler(db, version, extra ? extra(db) : undefined);
  const { conn, channel } = await connect();
  const queue = queueName();
  const slot = process.env.CUTOVER_SLOT ?? "";
  const startPaused = process.env.PROCESSOR_START_PAUSED === "true";
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(Number(process.env.CQRS_PREFETCH ?? 10));
  const delayMs = Number(process.env.CQRS_HANDLE_MS ?? 5);
  let inFlight = 0;
  let consumerTag;
  let busy = Promise.resolve();
  const idleWaiters = [];
  const whenIdle = () => (inFlight === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r)));

  const onMessage = (msg) => {
    if (!msg) return;
    inFlight++;
    setTimeout(() => {
      apply(JSON.parse(msg.content.toString()));
      channel.ack(msg);
      if (--inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
    }, delayMs);
  };
  // Each flag revision is applied before it is confirmed (watchFlags' onChange): flag.set returns once this
  // process has stopped (or started) taking commands, not merely received the value.
  const flags = watchFlags(process.env, { onChange: () => follow() });
  const paused = () => {
    const v = flags.get("ProcessorMaintenance");
    return v === undefined ? startPaused : isOn(v);
  };
  let finishing = Promise.resolve();
  // Pausing: no new command is taken once the consumer is cancelled (that is what the flag's confirmation
  // waits for); the ones held finish in the background, then the state says "paused" (the seed's "Ready").
  const stop = async () => {
    if (consumerTag) {
      setProcessorState(db, slot, version, "pausing");
      await channel.cancel(consumerTag);
      consumerTag = undefined;
    }
    finishing = whenIdle().then(() => {
      if (!consumerTag) setProcessorState(db, slot, version, "paused");
    });
  };
  const start = async () => {
    if (!consumerTag) ({ consumerTag } = await channel.consume(queue, onMessage));
    setProcessorState(db, slot, version, "running");
  };
  // Follow the flag: one transition at a time.
  const follow = () => {
    busy = busy.then(() => (paused() ? stop() : start())).catch((e) => console.error(e));
    return busy;
  };
  await follow();
  console.log(`cqrs ${version} handler on ${queue} (${paused() ? "paused" : "running"})`);

  process.on("SIGTERM", async () => {
    await busy;
    await stop();
    await finishing;
    flags.stop();
    await conn.close();
    process.exit(0);
  });
}
