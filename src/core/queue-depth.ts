/**
 * Capability `queue-depth`: how much work a queue still holds, read by `queue.drain` (and its alias
 * `azure.queue-drain`). Providers: `rabbitmq` (management API or rabbitmqctl), `azure-queue` (Storage
 * queues), `azure-servicebus` (Service Bus queues and topic subscriptions). A queue is drained when
 * nothing waits and nothing is being handled: `ready + inFlight`
 * (+ `scheduled` when asked) is 0. Dead-lettered messages are reported, never waited on.
 */
export interface QueueReading {
  /** Messages waiting to be delivered. */
  ready: number;
  /**
   * Delivered and not yet settled (RabbitMQ: unacknowledged). 0 when the broker counts them in `ready`
   * (Service Bus: a locked message stays active until completed; Storage queues: invisible ones are counted).
   */
  inFlight: number;
  /** Messages due later (Service Bus scheduled), when the broker tells. */
  scheduled?: number;
  /** Messages dead-lettered, when the broker tells: reported, not waited on. */
  deadLetter?: number;
  /** Consumers attached, when the broker tells. */
  consumers?: number;
  /**
   * Whether the reading is exact now. Azure Storage's count is approximate (never lower than the truth,
   * may be higher); RabbitMQ's management figures lag by its statistics interval.
   */
  exact: boolean;
}

export interface QueueDepthClient {
  defaultQueue: string;
  read(queue?: string, options?: { signal?: AbortSignal }): Promise<QueueReading>;
}
