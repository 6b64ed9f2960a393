/** Metric sinks: one interface, a JSONL file adapter (metrics.jsonl) and a no-op (tests, benches). */
import { appendFileSync, writeFileSync } from "node:fs";

export interface MetricsRecord {
  step: number;
  [name: string]: number | string;
}

export interface MetricsSink {
  write(record: MetricsRecord): void;
}

export class JsonlMetricsSink implements MetricsSink {
  constructor(
    readonly file: string,
    append: boolean,
  ) {
    if (!append) writeFileSync(file, "");
  }

  write(record: MetricsRecord): void {
    appendFileSync(this.file, JSON.stringify(record) + "\n");
  }
}

export const NULL_SINK: MetricsSink = { write() {} };

/** Averages each metric over the updates since the last flush (what a log line reports). */
export class MetricsAverager {
  private sums = new Map<string, number>();
  private count = 0;

  add(metrics: Record<string, number>): void {
    for (const [k, v] of Object.entries(metrics)) this.sums.set(k, (this.sums.get(k) ?? 0) + v);
    this.count += 1;
  }

  flush(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.sums) out[k] = v / Math.max(1, this.count);
    this.sums.clear();
    this.count = 0;
    return out;
  }
}
