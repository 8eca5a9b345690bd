// .ci/ensure-postgres: CI installs the PostgreSQL server binaries from Debian when they are missing, so the
// real-server tests run there instead of being skipped. Run here against a fake apt-get on a bare PATH.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

const root = join(import.meta.dirname, "..", "..");
const script = join(root, ".ci", "ensure-postgres");

/** A PATH with only the tools the script needs, a fake `sudo`, and (optionally) a fake apt-get. */
function sandbox(t: { teardown(fn: () => void): void }, aptGet: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-ci-pg-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "bin"), lib = join(dir, "lib", "postgresql"), calls = join(dir, "apt-calls");
  mkdirSync(bin, { recursive: true });
  for (const tool of ["bash", "tr", "ls", "sort", "id", "env", "mkdir", "touch", "chmod", "cat"]) {
    const found = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find(existsSync);
    if (found) symlinkSync(found, join(bin, tool));
  }
  writeFileSync(join(bin, "sudo"), "#!/bin/bash\nexec \"$@\"\n");
  if (aptGet) {
    // Records its arguments; "install ... postgresql" lays out a Debian-like /usr/lib/postgresql/16/bin.
    writeFileSync(join(bin, "apt-get"), `#!/bin/bash\necho "$*" >> ${calls}\nif [ "$1" = install ]; then mkdir -p ${lib}/16/bin; for b in initdb pg_ctl; do touch ${lib}/16/bin/$b; chmod +x ${lib}/16/bin/$b; done; fi\n`);
  }
  for (const f of ["sudo", "apt-get"]) if (existsSync(join(bin, f))) chmodSync(join(bin, f), 0o755);
  const run = () => spawnSync(join(bin, "bash"), [script], { encoding: "utf8", env: { PATH: bin, PG_LIB_DIR: lib } });
  return { run, lib, calls: () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []) };
}

t.test("missing binaries are installed with apt-get (Debian's postgresql)", async (t) => {
  const s = sandbox(t, true);
  const r = s.run();
  t.equal(r.status, 0, r.stderr);
  t.match(s.calls()[0], /^update/);
  t.match(s.calls()[1], /^install -y -q --no-install-recommends postgresql$/);
  t.match(r.stdout, new RegExp(`PostgreSQL server binaries: ${s.lib}/16/bin`));
});

t.test("binaries already there: nothing installed", async (t) => {
  const s = sandbox(t, true);
  mkdirSync(join(s.lib, "15", "bin"), { recursive: true });
  for (const b of ["initdb", "pg_ctl"]) {
    writeFileSync(join(s.lib, "15", "bin", b), "");
    chmodSync(join(s.lib, "15", "bin", b), 0o755);
  }
  const r = s.run();
  t.equal(r.status, 0, r.stderr);
  t.same(s.calls(), [], "apt-get not called");
  t.match(r.stdout, /15\/bin/);
});

t.test("no binaries and no apt-get: one clear failure", async (t) => {
  const r = sandbox(t, false).run();
  t.equal(r.status, 1);
  t.match(r.stderr, /PostgreSQL server binaries \(initdb, pg_ctl\) are missing and there is no apt-get/);
});

t.test(".ci/run calls it before the tests", async (t) => {
  const ci = readFileSync(join(root, ".ci", "run"), "utf8");
  t.ok(ci.indexOf(".ci/ensure-postgres") > 0 && ci.indexOf(".ci/ensure-postgres") < ci.indexOf("npm test 2>&1"), "ensure-postgres runs before npm test");
});
