// Command line of `npm run bench`.
import { parseArgs } from "node:util";

export interface BenchArgs {
  /** Write the results as JSON here. */
  json?: string;
  /** Run only cases whose name contains this. */
  filter?: string;
  /** Timed runs per side per round; the median of all rounds' runs is reported. */
  repeat: number;
  /** Alternating rounds of ours and the peers per case. */
  rounds: number;
  /** Untimed runs before timing (first-touch, caches, thread start-up). */
  warmup: number;
  /** Seconds per FMA peak measurement. */
  peakSeconds: number;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--json FILE] [--filter SUBSTRING] [--repeat N] [--rounds N] [--warmup N] [--peak-seconds S]
  --json FILE        also write the results as JSON to FILE
  --filter SUBSTRING only cases whose name contains SUBSTRING (the attention memory case is "attention-memory";
                     model-level cases run only when named: "transformer-block-19b", "vae-decode", "pipeline-distilled")
  --repeat N         timed runs per side and round (default 3)
  --rounds N         rounds per case, alternating ours and the peers; median of all runs reported (default 3)
  --warmup N         untimed runs before each side's runs in a round (default 1)
  --peak-seconds S   seconds per FMA peak measurement; 5 before and 5 after the cases, best reported (default 0.5)`;

function positiveInt(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`bench: --${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "string" },
      filter: { type: "string" },
      repeat: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      "peak-seconds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const peakSeconds = values["peak-seconds"] === undefined ? 0.5 : Number(values["peak-seconds"]);
  if (!(peakSeconds > 0 && peakSeconds <= 60)) throw new Error(`bench: --peak-seconds must be in (0, 60], got '${values["peak-seconds"]}'`);
  return {
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
    repeat: positiveInt("repeat", values.repeat, 3, 1),
    rounds: positiveInt("rounds", values.rounds, 3, 1),
    warmup: positiveInt("warmup", values.warmup, 1, 0),
    peakSeconds,
    help: values.help ?? false,
  };
}
