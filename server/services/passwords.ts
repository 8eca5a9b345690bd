// Password hashing with bcrypt (bcryptjs: pure JavaScript, async, no native build). bcrypt reads at most 72 bytes,
// so longer passwords are refused (counted in UTF-8 bytes) rather than silently truncated; no pre-hashing.
import bcrypt from "bcryptjs";

export const BCRYPT_MAX_BYTES = 72;

export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(private readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  /** Same work as a real check, for unknown accounts: login time does not reveal whether an email exists. */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummy ??= bcrypt.hash("not a real password, only a timing decoy", this.cost);
    await bcrypt.compare(password, await this.dummy);
    return false;
  }

  /** Hashes made with a lower cost are upgraded at the next successful login. */
  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) < this.cost;
  }
}
