/** Capability `queue-depth` (`provider: azure-queue`, used by `azure.queue.drain`): how many messages wait. */
export interface QueueDepthClient {
  defaultQueue: string;
  approximateCount(queue?: string, options?: { signal?: AbortSignal }): Promise<number>;
}
