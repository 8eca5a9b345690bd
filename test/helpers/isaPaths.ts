import { getInfo, setIsa } from "../../src/index.js";
import type { NativeIsa } from "../../src/native/bindingTypes.js";

/**
 * The kernel paths a test should cover: the one forced by AIPROD_ISA, otherwise every path this CPU supports.
 * Runs fn once per path with that path active, then restores the default.
 */
export async function forEachIsa(fn: (isa: NativeIsa) => Promise<void>): Promise<void> {
  const info = getInfo();
  const forced = process.env.AIPROD_ISA;
  const paths = forced && forced !== "auto" ? [forced as NativeIsa] : info.isaAvailable;
  try {
    for (const isa of paths) {
      setIsa(isa);
      await fn(isa);
    }
  } finally {
    setIsa(info.isa);
  }
}
