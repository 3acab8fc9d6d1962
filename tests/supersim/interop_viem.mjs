// @eth-optimism/viem's interop actions, unchanged, against a devnet with auto-relay off:
// sendCrossDomainMessage, getCrossDomainMessages, getCrossDomainMessageStatus through each
// state, buildExecutingMessage + relayCrossDomainMessage by a user, sendSuperchainERC20 and
// sendETH. Prints one JSON line of what it saw; the Python test checks it.
import { createWalletClient, http, parseAbi, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { publicActionsL2, walletActionsL2 } from "@eth-optimism/viem";
import { supersimL2A, supersimL2B } from "@eth-optimism/viem/chains";

const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const relayer = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const TOKEN = "0x420beeF000000000000000000000000000000001";
const client = (chain, url, who) => createWalletClient({ chain, transport: http(url), account: who })
  .extend(walletActionsL2()).extend(publicActionsL2()).extend(publicActions);
const A = client(supersimL2A, process.env.XR_URL_A, account);
const B = client(supersimL2B, process.env.XR_URL_B, account);
const relayerB = client(supersimL2B, process.env.XR_URL_B, relayer);
const erc20 = parseAbi(["function mint(address to, uint256 amount)", "function balanceOf(address) view returns (uint256)"]);
const out = {};

// Send on A, relay on B as a user, the status read on B before and after.
async function deliver(name, hash) {
  const receipt = await A.waitForTransactionReceipt({ hash });
  const messages = await A.interop.getCrossDomainMessages({ logs: receipt.logs });
  const [message] = messages;
  const before = await B.interop.getCrossDomainMessageStatus({ message });
  const params = await A.interop.buildExecutingMessage({ log: message.log });
  const relayHash = await relayerB.interop.relayCrossDomainMessage(params);
  const relay = await B.waitForTransactionReceipt({ hash: relayHash });
  const after = await B.interop.getCrossDomainMessageStatus({ message });
  out[name] = { sendStatus: receipt.status, messages: messages.length, destination: Number(message.destination),
                before, relayStatus: relay.status, after };
}

// 1. a plain message: call mint on B's token from A
const mintCall = "0x40c10f19" + account.address.slice(2).toLowerCase().padStart(64, "0") + (7n).toString(16).padStart(64, "0");
const startB = await B.readContract({ address: TOKEN, abi: erc20, functionName: "balanceOf", args: [account.address] });
await deliver("message", await A.interop.sendCrossDomainMessage({
  destinationChainId: supersimL2B.id, target: TOKEN, message: mintCall }));
out.afterMessage = (await B.readContract({ address: TOKEN, abi: erc20, functionName: "balanceOf", args: [account.address] })) - startB;

// 2. SuperchainERC20
await A.waitForTransactionReceipt({ hash: await A.writeContract({ address: TOKEN, abi: erc20, functionName: "mint", args: [account.address, 1000n] }) });
await deliver("erc20", await A.interop.sendSuperchainERC20({ tokenAddress: TOKEN, to: account.address, amount: 1000n, chainId: supersimL2B.id }));
out.afterErc20 = (await B.readContract({ address: TOKEN, abi: erc20, functionName: "balanceOf", args: [account.address] })) - startB;

// 3. ETH
const ethBefore = await B.getBalance({ address: relayer.address });
await deliver("eth", await A.interop.sendETH({ to: relayer.address, chainId: supersimL2B.id, value: 10n ** 18n }));
const ethAfter = await B.getBalance({ address: relayer.address });
out.ethDelta = (ethAfter - ethBefore).toString();
out.afterMessage = out.afterMessage.toString();
out.afterErc20 = out.afterErc20.toString();
console.log(JSON.stringify(out));
