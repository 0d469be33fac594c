// Reads a CAR file with npm @ipld/car and prints, as JSON, its version, its roots and, for each
// block, its CID and whether the block's sha2-256 digest matches the CID's.
//   node tests/chain/car_read.mjs FILE.car
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { CarReader } from '@ipld/car'

const reader = await CarReader.fromBytes(await readFile(process.argv[2]))
const blocks = []
for await (const { cid, bytes } of reader.blocks()) {
  const digest = createHash('sha256').update(bytes).digest()
  const ok = cid.multihash.code === 0x12 && Buffer.compare(digest, Buffer.from(cid.multihash.digest)) === 0
  blocks.push({ cid: cid.toString(), ok })
}
const roots = (await reader.getRoots()).map((cid) => cid.toString())
process.stdout.write(JSON.stringify({ version: reader.version, roots, blocks }) + '\n')
