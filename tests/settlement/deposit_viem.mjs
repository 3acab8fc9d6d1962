// viem's op-stack formatters and utilities read a deposit served by xrollup.
// Env: XR_URL (the rollup's endpoint), XR_HASH (the deposit's hash), XR_LOG (the portal log it
// came from: {from, to, opaqueData, blockHash, logIndex}). Prints one JSON line.
import { createPublicClient, http, keccak256 } from 'viem'
import { chainConfig, getL2TransactionHash, serializeTransaction } from 'viem/op-stack'

const chain = {
  ...chainConfig, id: 901, name: 'xrollup 901',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [process.env.XR_URL] } },
}
const client = createPublicClient({ chain, transport: http(process.env.XR_URL) })
const hash = process.env.XR_HASH
const log = JSON.parse(process.env.XR_LOG)

const tx = await client.getTransaction({ hash })
const receipt = await client.getTransactionReceipt({ hash })
const block = await client.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true })
const raw = await client.request({ method: 'eth_getRawTransactionByHash', params: [hash] })
const serialized = serializeTransaction({
  type: 'deposit', sourceHash: tx.sourceHash, from: tx.from, to: tx.to ?? undefined, mint: tx.mint,
  value: tx.value, gas: tx.gas, isSystemTx: tx.isSystemTx ?? false, data: tx.input,
})
const l2Hash = getL2TransactionHash({
  log: { args: { from: log.from, to: log.to, version: 0n, opaqueData: log.opaqueData },
         blockHash: log.blockHash, logIndex: log.logIndex },
})
console.log(JSON.stringify({
  type: tx.type, typeHex: tx.typeHex, mint: tx.mint?.toString(), sourceHash: tx.sourceHash, nonce: tx.nonce,
  depositNonce: receipt.depositNonce?.toString(), depositReceiptVersion: receipt.depositReceiptVersion,
  status: receipt.status, blockTxType: block.transactions[0].type, blockTxHash: block.transactions[0].hash,
  serializedMatches: serialized === raw, serializedHash: keccak256(serialized), l2Hash,
}))
