/**
 * Progress on long work, on stderr so stdout stays machine-readable. A live bar on a terminal; on a pipe
 * or in CI, one line every `everyMs` so logs show progress without flooding.
 */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function startProgress(label: string, total: number, options: { everyMs?: number } = {}): Progress {
  if (process.stderr.isTTY && !process.env.CI) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted} {info}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      update: (done, fields) => bar.update(done, { info: formatFields(fields) }),
      stop: () => bar.stop(),
    };
  }
  const everyMs = options.everyMs ?? 5000;
  let last = 0;
  const started = Date.now();
  return {
    update(done, fields) {
      const now = Date.now();
      if (now - last < everyMs && done < total) return;
      last = now;
      const elapsed = (now - started) / 1000;
      process.stderr.write(
        `${label}: ${done}/${total} (${((100 * done) / total).toFixed(0)}%) ${elapsed.toFixed(0)}s ${formatFields(fields)}\n`,
      );
    },
    stop() {},
  };
}

function formatFields(fields?: Record<string, string | number>): string {
  if (!fields) return "";
  return Object.entries(fields)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : v}`,
    )
    .join(" ");
}
