// The web role of either version: reads from the database, writes become commands on the bus.
import { randomUUID } from "node:crypto";
import { serve, httpError } from "../../lib/server.js";
import { parseOrder, readLimit } from "../../lib/orders.js";
import { connect, publish, queueName } from "./bus.js";
import { open, processorState, recentOrders, schemaVersion } from "./store.js";

export async function webRole(version, { minSchema, freshSchema = 1, health, routes = () => ({}) }) {
  const db = open(process.env, freshSchema);
  const slot = process.env.CUTOVER_SLOT ?? "";
  const { channel } = await connect();
  const queue = queueName();
  await channel.assertQueue(queue, { durable: true });
  serve({
    version,
    schema: () => schemaVersion(db),
    health: () => ({ processor: processorState(db, slot), ...(health ? health(db) : {}) }),
    routes: {
      ...routes(db),
      "GET /orders": (_req, _body, url) => ({
        status: 200,
        body: { version, orders: recentOrders(db, readLimit(url)) },
      }),
      "POST /orders": async (_req, body) => {
        if (schemaVersion(db) < minSchema) throw httpError(503, `schema ${minSchema} required: migration pending`);
        const command = { type: "PlaceOrder", id: randomUUID(), ...parseOrder(body) };
        await publish(channel, queue, command);
        return { status: 201, body: { version, id: command.id } };
      },
    },
  });
}
