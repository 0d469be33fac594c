// The reference CIDs for chain/docstore: what npm ipfs-unixfs-importer gives each file.
//   node tests/chain/unixfs_import.mjs [--max-children N] FILE...
// prints one CIDv1 per file, imported with cidVersion 1 and rawLeaves true (otherwise the
// importer's defaults: 256 KiB fixed-size chunks, balanced layout); --max-children N sets the
// balanced layout's maxChildrenPerNode (kubo uses 174).
import { readFile } from 'node:fs/promises'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { importer } from 'ipfs-unixfs-importer'
import { balanced } from 'ipfs-unixfs-importer/layout'

const args = process.argv.slice(2)
const options = { cidVersion: 1, rawLeaves: true }
if (args[0] === '--max-children') {
  options.layout = balanced({ maxChildrenPerNode: Number(args[1]) })
  args.splice(0, 2)
}
const lines = []
for (const path of args) {
  const content = await readFile(path)
  let root
  for await (const entry of importer([{ content }], new MemoryBlockstore(), options)) root = entry
  lines.push(root.cid.toString())
}
process.stdout.write(lines.join('\n') + '\n')
