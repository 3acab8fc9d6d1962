// The life of funds through viem's op-stack actions, unchanged, against a running xrollup devnet
// whose L1 mines on demand (--l1.block-time long): a withdrawal from the rollup to the L1
// (initiateWithdrawal, getWithdrawalStatus through each state, buildProveWithdrawal,
// proveWithdrawal, finalizeWithdrawal) and, with XR_DEPOSIT=1, a deposit first
// (depositTransaction, getL2TransactionHashes).
// Env: XR_L1, XR_L2 (endpoints), XR_CHAIN (the rollup's id), XR_PORTAL, XR_ORACLE (its L1
// contracts), XR_DELAY (the withdrawal delay in seconds), XR_MODE ("wait": wait the delay out on
// the wall clock, which viem's status reads; "increase-time": evm_increaseTime on the L1).
// Prints one JSON line.
import { createPublicClient, createWalletClient, defineChain, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  chainConfig, getL2TransactionHashes, getWithdrawals, publicActionsL1, publicActionsL2, walletActionsL1, walletActionsL2,
} from 'viem/op-stack'
import { supersimL1 } from '@eth-optimism/viem/chains'

const env = process.env
const chainId = Number(env.XR_CHAIN)
const l1 = { ...supersimL1, rpcUrls: { default: { http: [env.XR_L1] } } }
const l2 = defineChain({
  ...chainConfig, id: chainId, name: `xrollup ${chainId}`, sourceId: l1.id,
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [env.XR_L2] } },
  contracts: {
    ...chainConfig.contracts,
    portal: { [l1.id]: { address: env.XR_PORTAL } },
    l2OutputOracle: { [l1.id]: { address: env.XR_ORACLE } },
  },
})
// dev account 5: its own nonces on both sides
const account = privateKeyToAccount('0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba')
const recipient = '0x00000000000000000000000000000000000b0b01'
const publicL1 = createPublicClient({ chain: l1, transport: http(env.XR_L1) }).extend(publicActionsL1())
const walletL1 = createWalletClient({ account, chain: l1, transport: http(env.XR_L1) }).extend(walletActionsL1())
const publicL2 = createPublicClient({ chain: l2, transport: http(env.XR_L2) }).extend(publicActionsL2())
const walletL2 = createWalletClient({ account, chain: l2, transport: http(env.XR_L2) }).extend(walletActionsL2())
const mineL1 = () => publicL1.request({ method: 'evm_mine', params: [] })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const out = {}
const provenWithdrawalsAbi = [{
  type: 'function', name: 'provenWithdrawals', stateMutability: 'view', inputs: [{ type: 'bytes32' }],
  outputs: [{ type: 'bytes32' }, { type: 'uint128' }, { type: 'uint128' }],
}]

if (env.XR_DEPOSIT === '1') {
  const before = await publicL2.getBalance({ address: account.address })
  const l1Hash = await walletL1.depositTransaction({
    request: { to: account.address, mint: parseEther('2'), gas: 50_000n }, targetChain: l2,
  })
  const l1Receipt = await publicL1.waitForTransactionReceipt({ hash: l1Hash })
  const [l2Hash] = getL2TransactionHashes(l1Receipt)
  const l2Receipt = await publicL2.waitForTransactionReceipt({ hash: l2Hash, pollingInterval: 100 })
  const tx = await publicL2.getTransaction({ hash: l2Hash })
  out.deposit = {
    l1Status: l1Receipt.status, l2Status: l2Receipt.status, type: tx.type, mint: tx.mint.toString(),
    received: ((await publicL2.getBalance({ address: account.address })) - before).toString(),
  }
}

const delay = Number(env.XR_DELAY)
const statuses = []
const status = async (receipt) => {
  const s = await publicL1.getWithdrawalStatus({ receipt, targetChain: l2 })
  if (statuses[statuses.length - 1] !== s) statuses.push(s)
  return s
}
const l1Before = await publicL1.getBalance({ address: recipient })
const hash = await walletL2.initiateWithdrawal({
  request: { gas: 21_000n, to: recipient, value: parseEther('0.5') },
})
const receipt = await publicL2.waitForTransactionReceipt({ hash, pollingInterval: 100 })
await status(receipt) // nothing proposed yet: the L1 has not moved
for (let i = 0; i < 10 && (await status(receipt)) === 'waiting-to-prove'; i++) await mineL1() // batch, then proposal

const output = await publicL1.getL2Output({ l2BlockNumber: receipt.blockNumber, targetChain: l2 })
const [withdrawal] = getWithdrawals(receipt)
const args = await publicL2.buildProveWithdrawal({ output, withdrawal })
const proveHash = await walletL1.proveWithdrawal(args)
const proveReceipt = await publicL1.waitForTransactionReceipt({ hash: proveHash })
await status(receipt)

let early = null
try {
  await walletL1.finalizeWithdrawal({ targetChain: l2, withdrawal })
} catch (err) {
  early = err.shortMessage + ' | ' + (err.cause?.reason ?? err.cause?.cause?.reason ?? '')
}

if (env.XR_MODE === 'increase-time') {
  await publicL1.request({ method: 'evm_increaseTime', params: [delay + 1] })
  await mineL1()
} else {
  const deadline = Date.now() + (delay + 60) * 1000
  while ((await status(receipt)) !== 'ready-to-finalize' && Date.now() < deadline) await sleep(200)
  // viem's status reads the wall clock to the millisecond; the portal reads the L1's block
  // times, whole seconds, each at least its parent's + 1 (as anvil's: a burst of blocks runs
  // ahead of the wall clock), and gas is estimated in the latest block's context (as geth's):
  // mine the first block stamped past the proof's time + the delay
  const [, provenAt] = await publicL1.readContract({
    address: env.XR_PORTAL, abi: provenWithdrawalsAbi, functionName: 'provenWithdrawals',
    args: [withdrawal.withdrawalHash],
  })
  const head = await publicL1.getBlock()
  const due = Math.max(Number(provenAt) + delay, Number(head.timestamp)) + 1
  while (Date.now() / 1000 < due) await sleep(200)
  await mineL1()
}
const finalizeHash = await walletL1.finalizeWithdrawal({ targetChain: l2, withdrawal })
const finalizeReceipt = await publicL1.waitForTransactionReceipt({ hash: finalizeHash })
await status(receipt)

let twice = null
try {
  await walletL1.finalizeWithdrawal({ targetChain: l2, withdrawal })
} catch (err) {
  twice = err.shortMessage + ' | ' + (err.cause?.reason ?? err.cause?.cause?.reason ?? '')
}

console.log(JSON.stringify({
  ...out,
  withdrawal: {
    l2Status: receipt.status, proveStatus: proveReceipt.status, finalizeStatus: finalizeReceipt.status,
    statuses, early, twice, outputBlock: output.l2BlockNumber.toString(),
    withdrawalBlock: receipt.blockNumber.toString(),
    arrived: ((await publicL1.getBalance({ address: recipient })) - l1Before).toString(),
  },
}))
