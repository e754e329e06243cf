/** The one interface between pipeline stages: a stage consumes a batch and answers for it. */
export interface Stage<I, O> {
  consume(batch: I): Promise<O>;
}

/** A component with a start/stop lifecycle; the service stops them in reverse start order. */
export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}
