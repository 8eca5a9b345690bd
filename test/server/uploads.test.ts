// Uploads as clients send them: the raw bytes with their Content-Type, or a multipart/form-data form (browsers,
// curl -F, fetch with FormData). Both store the same file; a cut-off or malformed form is refused and leaves
// nothing behind.
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { Readable } from "node:stream";
import { MultipartFile, multipartBoundary } from "../../server/http/multipart.js";
import { jobServerFor } from "../helpers/jobs.js";
import { openEmbedded } from "../helpers/server.js";

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 255))]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Runs the parser over `body` cut into `piece`-byte chunks (boundaries split across chunks). */
async function parse(body: Buffer, boundary: string, piece: number): Promise<{ bytes: Buffer; type: string }> {
  const chunks = Array.from({ length: Math.ceil(body.length / piece) }, (_, i) => body.subarray(i * piece, (i + 1) * piece));
  const p = new MultipartFile(boundary);
  const out: Buffer[] = [];
  Readable.from(chunks).pipe(p);
  for await (const c of p) out.push(c as Buffer);
  return { bytes: Buffer.concat(out), type: p.contentType };
}

const form = (b: string, parts: string[]) => Buffer.from(parts.map((p) => `--${b}\r\n${p}\r\n`).join("") + `--${b}--\r\n`, "latin1");

t.test("the multipart parser returns the file part's bytes, whatever the chunking", async (t) => {
  const b = "----aiprodBoundary7MA4YWxk";
  const body = Buffer.concat([
    Buffer.from(`preamble\r\n--${b}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${b}\r\nContent-Disposition: form-data; name="upload"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    png, Buffer.from(`\r\n--${b}\r\nContent-Disposition: form-data; name="after"\r\n\r\nx\r\n--${b}--\r\n`),
  ]);
  for (const piece of [1, 3, 17, 64, body.length]) {
    const r = await parse(body, b, piece);
    t.equal(sha(r.bytes), sha(png), `${piece}-byte chunks: the file's bytes`);
    t.equal(r.type, "image/png");
  }
  const empty = await parse(form(b, [`Content-Disposition: form-data; name="file"; filename="e"\r\n\r\n`]), b, 5);
  t.equal(empty.bytes.length, 0, "an empty file part is empty");
  await t.rejects(parse(form(b, [`Content-Disposition: form-data; name="note"\r\n\r\nhi`]), b, 8), /no file part/);
  await t.rejects(parse(Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n`), png]), b, 50), /ended before the closing boundary/);
  t.equal(multipartBoundary('multipart/form-data; boundary="a b"'), "a b");
  t.throws(() => multipartBoundary("multipart/form-data"), /no boundary parameter/);
});

t.test("POST /api/v1/uploads: raw bytes and multipart forms", async (t) => {
  const { ts } = await jobServerFor(t, openEmbedded);
  const u = await ts.client.user();
  const auth = { authorization: `Bearer ${u.access}` };
  const uploads = () => { try { return readdirSync(join(ts.dataDir, "uploads", u.id)); } catch { return []; } };

  const raw = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { ...auth, "content-type": "image/png" }, body: png });
  t.equal(raw.status, 201, "raw PNG");
  const fd = new FormData();
  fd.append("title", "first frame");
  fd.append("file", new Blob([png], { type: "image/png" }), "first.png");
  const multi = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: auth, body: fd });
  const body = (await multi.json()) as { bytes: number; sha256: string; content_type: string };
  t.equal(multi.status, 201, "multipart PNG (as fetch/FormData, curl -F and browsers send it)");
  t.same({ bytes: body.bytes, sha256: body.sha256, content_type: body.content_type }, { bytes: png.length, sha256: sha(png), content_type: "image/png" }, "the stored file is the part's bytes");

  const lora = Buffer.concat([Buffer.alloc(8), Buffer.from('{"__metadata__":{}}')]);
  lora.writeBigUInt64LE(BigInt(lora.length - 8), 0);
  const lf = new FormData();
  lf.append("file", new Blob([lora]), "style.safetensors");
  t.equal((await fetch(`${ts.url}/api/v1/uploads?kind=lora`, { method: "POST", headers: auth, body: lf })).status, 201, "a LoRA as a form part without a type");

  const before = uploads().length;
  const text = new FormData();
  text.append("file", new Blob(["not a png"], { type: "image/png" }), "x.png");
  const fake = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: auth, body: text });
  t.equal(fake.status, 415, "the part's content is checked like a raw body");
  const wrongType = new FormData();
  wrongType.append("file", new Blob([png], { type: "text/plain" }), "x.txt");
  const wt = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: auth, body: wrongType });
  t.equal(wt.status, 415);
  t.match(((await wt.json()) as { detail: string }).detail, /multipart\/form-data/, "the message names both ways to send");
  const cut = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { ...auth, "content-type": "multipart/form-data; boundary=zz" }, body: Buffer.concat([Buffer.from('--zz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'), png]) });
  t.equal(cut.status, 400, "a form without its closing boundary");
  const noBoundary = await fetch(`${ts.url}/api/v1/uploads?kind=image`, { method: "POST", headers: { ...auth, "content-type": "multipart/form-data" }, body: "x" });
  t.equal(noBoundary.status, 400);
  t.equal(uploads().length, before, "refused forms leave no file behind");
});
