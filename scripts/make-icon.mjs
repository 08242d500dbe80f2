// Generates images/icon.png (128×128 RGBA), the extension icon, with no dependency but zlib:
// a rounded navy square, a white shield, and inside it three bars getting shorter (a drain).
// Deterministic: running it again writes the same bytes.  usage: node scripts/make-icon.mjs [out]
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const N = 128;
const out = process.argv[2] ?? 'images/icon.png';

// Signed distances (negative inside), in pixels.
const roundRect = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r, qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
// Shield: the union of a box (the top) and a square turned 45° (the point at the bottom).
const shield = (x, y) => {
  const box = roundRect(x, y, 64, 48, 40, 32, 10);
  const u = (x - 64 + (y - 72)) / Math.SQRT2, v = (-(x - 64) + (y - 72)) / Math.SQRT2;
  return Math.min(box, roundRect(u, v, 0, 0, 28.3, 28.3, 6));
};
const bars = (x, y) => Math.min(
  roundRect(x, y, 64, 42, 24, 5, 5),
  roundRect(x, y, 64, 60, 17, 5, 5),
  roundRect(x, y, 64, 78, 9, 5, 5),
);
const cover = (d) => Math.min(1, Math.max(0, 0.5 - d)); // 1-pixel anti-aliasing

const navy = [0x1f, 0x3a, 0x5f], white = [0xff, 0xff, 0xff], orange = [0xf2, 0x8c, 0x28];
const raw = Buffer.alloc(N * (1 + N * 4));
for (let py = 0; py < N; py++) {
  raw[py * (1 + N * 4)] = 0; // filter: none
  for (let px = 0; px < N; px++) {
    let acc = [0, 0, 0, 0]; // premultiplied, 4×4 supersampling
    for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) {
      const x = px + (sx + 0.5) / 4, y = py + (sy + 0.5) / 4;
      const layers = [[navy, cover(roundRect(x, y, 64, 64, 62, 62, 22) * 4)], [white, cover(shield(x, y) * 4)], [orange, cover(bars(x, y) * 4)]];
      let c = [0, 0, 0], a = 0;
      for (const [col, al] of layers) { c = c.map((v, i) => v * (1 - al) + col[i] * al); a = a * (1 - al) + al; }
      acc = [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2], acc[3] + a];
    }
    const a = acc[3] / 16, o = py * (1 + N * 4) + 1 + px * 4;
    for (let i = 0; i < 3; i++) raw[o + i] = a > 0 ? Math.round(acc[i] / 16 / a) : 0;
    raw[o + 3] = Math.round(a * 255);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
