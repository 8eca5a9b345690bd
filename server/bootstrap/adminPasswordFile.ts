// The generated password of the first administrator is written once to <data dir>/admin-password (mode 0600,
// never overwritten): stdout usually goes to the same log storage as the JSON logs (containers, journald), so the
// password is printed only when stdout is a terminal.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function adminPasswordFile(dataDir: string): string {
  return join(dataDir, "admin-password");
}

/** Writes the password file readable by the owner only; returns its path. */
export function writeAdminPassword(dataDir: string, email: string, password: string): string {
  const file = adminPasswordFile(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // "w" (not "wx"): a new first admin (the previous one was removed) replaces the stale file of the old one.
  writeFileSync(file, `email: ${email}\npassword: ${password}\n`, { mode: 0o600, flag: "w" });
  chmodSync(file, 0o600); // the mode option applies only when the file is created
  return file;
}
