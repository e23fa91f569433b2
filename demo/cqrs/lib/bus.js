// The command bus of the CQRS demo: a RabbitMQ queue (the on-premises stand-in for the
// Service Bus topics of CQRS Journey). The web role publishes a command with a message id
// and answers 201 once the broker confirmed it; a handler (worker) consumes it.
import amqp from "amqplib";

const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

export function queueName(env = process.env) {
  return env.CQRS_QUEUE ?? "cqrs-commands";
}

export async function connect() {
  // noDelay: the AMQP handshake and each publish/confirm are small writes; with Nagle's algorithm and the
  // broker's delayed ACKs each waits ~40 ms (connect took 45-58 ms on loopback, 3-4 ms without).
  const conn = await amqp.connect(AMQP_URL, { noDelay: true });
  const channel = await conn.createConfirmChannel();
  return { conn, channel };
}

/** Publish `command` durably and wait for the broker's confirm. */
export async function publish(channel, queue, command) {
  await channel.assertQueue(queue, { durable: true });
  channel.sendToQueue(queue, Buffer.from(JSON.stringify(command)), {
    persistent: true,
    messageId: command.id,
    contentType: "application/json",
  });
  await channel.waitForConfirms();
}
